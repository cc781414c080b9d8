/** Osprey model. */
package dev.osprey.model;
