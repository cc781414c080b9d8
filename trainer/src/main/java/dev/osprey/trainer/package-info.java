/** Osprey trainer. */
package dev.osprey.trainer;
