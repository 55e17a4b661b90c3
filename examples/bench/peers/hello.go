// The Go peer: net/http/fcgi from the standard library, answering what
// `plaintext` answers.
//
//	go build -o hello-go hello.go
//	FCGI_BIND=127.0.0.1:9000 ./hello-go   (or ./hello-go unix:/tmp/go.sock)
package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/fcgi"
	"os"
	"strings"
)

var body = []byte("Hello, World!")

func hello(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Content-Length", "13")
	w.Write(body)
}

func main() {
	addr := os.Getenv("FCGI_BIND")
	if len(os.Args) > 1 {
		addr = os.Args[1]
	}
	if addr == "" {
		fmt.Fprintln(os.Stderr, "usage: hello-go HOST:PORT|unix:/path (or set FCGI_BIND)")
		os.Exit(2)
	}
	var l net.Listener
	var err error
	if strings.HasPrefix(addr, "unix:") {
		path := strings.TrimPrefix(addr, "unix:")
		os.Remove(path)
		l, err = net.Listen("unix", path)
	} else {
		l, err = net.Listen("tcp", addr)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "hello-go:", err)
		os.Exit(1)
	}
	fmt.Fprintln(os.Stderr, "hello-go: listening on", addr)
	if err := fcgi.Serve(l, http.HandlerFunc(hello)); err != nil {
		fmt.Fprintln(os.Stderr, "hello-go:", err)
		os.Exit(1)
	}
}
