// Package objbridge lets the module's packages outside the root package
// (the TMessage codec of receiver/hltwire) convert between the root
// package's objects and internal/rootio's without rootio's types entering
// the public API. The root package sets the functions from init, so they
// are set whenever a package that imports the root package runs.
package objbridge

import "github.com/overwatch-dqm/overwatch/internal/rootio"

var (
	// ToRootIO converts an overwatch.Object to its rootio value.
	ToRootIO func(obj any) (any, error)
	// FromRootIO converts a decoded rootio value to an overwatch.Object,
	// returning the classes of the function-list members it dropped.
	FromRootIO func(obj any) (object any, dropped []string, err error)
	// Flatten turns a decoded collection into []overwatch.Entry keyed
	// "<name>/<object>" (the object name alone when name is empty) and the
	// []overwatch.Problem of the elements it could not keep.
	Flatten func(name string, c *rootio.Collection) (entries, problems any)
)
