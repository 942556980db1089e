package dqm_test

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/receiver/dqm"
	"github.com/overwatch-dqm/overwatch/store"
)

// A DQM client uploads a ROOT file with its run number, time stamp and
// agent name; the receiver stores it as a snapshot of run 123456.
func Example() {
	dir, _ := os.MkdirTemp("", "dqm")
	defer os.RemoveAll(dir)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, _ := store.Open(dir, store.Options{Logger: quiet})
	defer st.Close()
	tokens, _ := dqm.OpenTokens(dqm.TokensPath(dir))
	token, _ := tokens.Add("amore", time.Now())
	srv, err := dqm.New(dqm.Config{Store: st, DataDir: dir, Tokens: tokens, Logger: quiet})
	if err != nil {
		fmt.Println(err)
		return
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()

	h := overwatch.MustNewHist(overwatch.ClassTH1F, "test", "test", overwatch.NewAxis(10, 0, 10))
	_ = h.Fill(1, 3.5)
	file, _ := overwatch.EncodeFile([]overwatch.Entry{{Key: "test", Object: h}})
	req, _ := http.NewRequest("POST", ts.URL+"/rest/api/files", bytes.NewReader(file))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("runNumber", "123456")
	req.Header.Set("timeStamp", "140844")
	req.Header.Set("amoreAgent", "EMC")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	snaps, _ := st.Snapshots(req.Context(), 123456, "EMC")
	fmt.Println(resp.StatusCode, len(snaps), snaps[0].Mode)
	// Output: 200 1 DQM
}
