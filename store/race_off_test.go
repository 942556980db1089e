//go:build !race

package store

// raceEnabled relaxes timing assertions under the race detector.
const raceEnabled = false
