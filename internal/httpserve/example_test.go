package httpserve_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/overwatch-dqm/overwatch/internal/httpserve"
)

func Example() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	lim := httpserve.WebDefaults()
	lim.MaxConns, lim.MaxConnsPerIP = 100, 10
	srv, err := httpserve.New(ln, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "hello")
	}), httpserve.Options{Name: "example", Limits: lim})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	resp, err := http.Get("http://" + srv.Addr().String() + "/")
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	cancel()
	fmt.Println(string(b), <-done, srv.Stats().Accepted >= 1)
	// Output: hello <nil> true
}
