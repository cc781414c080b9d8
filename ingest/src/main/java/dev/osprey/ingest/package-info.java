/** Osprey ingest. */
package dev.osprey.ingest;
