package main

import (
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"sync"
)

// imds serves the two metadata paths the agent uses, as IMDSv2 does:
// PUT /latest/api/token needs a TTL of 1-21600 s and no X-Forwarded-For;
// GET /latest/meta-data/spot/instance-action needs a valid token (401
// otherwise) and answers 404 until the action file exists, then its
// content. Every request is logged to stdout.
func imds(args []string) error {
	fs := flag.NewFlagSet("imds", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:18080", "address")
	actionFile := fs.String("action-file", "/tmp/imds-action", "notice to serve once it exists")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var mu sync.Mutex
	tokens := map[string]bool{}
	mux := http.NewServeMux()
	mux.HandleFunc("/latest/api/token", func(w http.ResponseWriter, r *http.Request) {
		fmt.Printf("%s %s ttl=%q\n", r.Method, r.URL.Path, r.Header.Get("X-aws-ec2-metadata-token-ttl-seconds"))
		ttl, err := strconv.Atoi(r.Header.Get("X-aws-ec2-metadata-token-ttl-seconds"))
		switch {
		case r.Method != http.MethodPut:
			http.Error(w, "", http.StatusMethodNotAllowed)
		case r.Header.Get("X-Forwarded-For") != "":
			http.Error(w, "", http.StatusForbidden)
		case err != nil || ttl < 1 || ttl > 21600:
			http.Error(w, "", http.StatusBadRequest)
		default:
			b := make([]byte, 16)
			_, _ = rand.Read(b)
			tok := hex.EncodeToString(b)
			mu.Lock()
			tokens[tok] = true
			mu.Unlock()
			fmt.Fprint(w, tok)
		}
	})
	mux.HandleFunc("/latest/meta-data/spot/instance-action", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ok := tokens[r.Header.Get("X-aws-ec2-metadata-token")]
		mu.Unlock()
		fmt.Printf("%s %s token=%v\n", r.Method, r.URL.Path, ok)
		if !ok {
			http.Error(w, "", http.StatusUnauthorized)
			return
		}
		b, err := os.ReadFile(*actionFile)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write(b)
	})
	return serve(*listen, mux)
}
