package hltsim_test

import (
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/overwatch-dqm/overwatch/receiver/hltsim"
	"github.com/overwatch-dqm/overwatch/receiver/hltwire"
)

// The simulator's reply to one CONFIG request, without any socket.
func Example() {
	sim, err := hltsim.New(hltsim.Config{Subsystems: []string{"EMC"}, FirstRun: 290222,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		panic(err)
	}
	sim.Advance(time.Minute)
	frames, err := sim.Reply("EMC", hltwire.ParseOptions(" -select=histFastORL[01]$ -SchemaOnRequest"))
	if err != nil {
		panic(err)
	}
	for i := 0; i+1 < len(frames); i += 2 {
		t := hltwire.ParseTopic(frames[i])
		fmt.Printf("%s %q %d-byte topic\n", t.IDString(), t.OriginString(), len(frames[i]))
		if t.Kind() == hltwire.KindInfo {
			fmt.Printf("  %s\n", frames[i+1])
		}
	}
	phase, run := sim.State()
	fmt.Println(phase, run)
	// Output:
	// ROOTSTRI "***\n" 80-byte topic
	// INFO____ "HLT " 80-byte topic
	//   run=290222;HLT_MODE=B;BEAM_TYPE=p-p
	// ROOTTOBJ "HLT " 80-byte topic
	// ROOTTOBJ "HLT " 80-byte topic
	// run 290222
}
