/** Osprey cli. */
package dev.osprey.cli;
