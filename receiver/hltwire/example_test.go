package hltwire_test

import (
	"fmt"

	"github.com/overwatch-dqm/overwatch/receiver/hltwire"
)

// A receiver builds its CONFIG request and reads a merger reply pair by pair.
func Example() {
	req, err := hltwire.Request{Select: "EMC.*", SchemaOnRequest: true}.Frames()
	if err != nil {
		panic(err)
	}
	fmt.Printf("request: %d frames, options %q\n", len(req), req[1])

	// What a G4 merger answers: INFO, then one TMessage per object.
	reply := hltwire.Reply{Info: []byte("run=290222;HLT_MODE=B;BEAM_TYPE=p-p"), Objects: [][]byte{{0x6e, 0x02}}}
	pairs, err := hltwire.SplitPairs(reply.Frames())
	if err != nil {
		panic(err)
	}
	for _, p := range pairs {
		switch p.Topic.Kind() {
		case hltwire.KindInfo:
			info := hltwire.ParseInfo(p.Payload)
			fmt.Printf("info: run %d mode %s\n", info.Run, info.Mode)
		case hltwire.KindObject:
			fmt.Printf("object: topic %s, ROOT payload %v, %d bytes\n", p.Topic.IDString(), p.Topic.IsROOT(), len(p.Payload))
		}
	}
	// Output:
	// request: 4 frames, options " -select=EMC.* -SchemaOnRequest"
	// info: run 290222 mode B
	// object: topic ROOTTOBJ, ROOT payload true, 2 bytes
}
