// A deliberately large Go binary for the benchmarks: the payload is
// generated at bench time (never committed) and embedded, so the binary's
// size is set by the payload while its Go structures stay realistic.
package main

import (
	_ "embed"
	"crypto/tls"
	"fmt"
	"net/http"
	"os/user"
	"time"
)

//go:embed payload.bin
var payload []byte

func main() {
	u, _ := user.Current()
	_, _ = time.LoadLocation("Europe/Paris")
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{}}}
	fmt.Println(len(payload), u, c != nil)
}
