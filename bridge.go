package overwatch

import (
	"fmt"

	"github.com/overwatch-dqm/overwatch/internal/objbridge"
	"github.com/overwatch-dqm/overwatch/internal/rootio"
)

// init hands the object conversions to the module's codecs that live
// outside the root package (the TMessage codec of receiver/hltwire).
func init() {
	objbridge.ToRootIO = func(obj any) (any, error) {
		o, ok := obj.(Object)
		if !ok {
			return nil, fmt.Errorf("overwatch: %T is not an Object", obj)
		}
		return toRootIO(o)
	}
	objbridge.FromRootIO = func(obj any) (any, []string, error) {
		o, dropped, err := fromRootIO(obj)
		if err != nil {
			return nil, nil, err
		}
		return o, dropped, nil
	}
	objbridge.Flatten = func(name string, c *rootio.Collection) (any, any) {
		return flattenCollection("", name, c)
	}
}
