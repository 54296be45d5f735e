package remote

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Two images sharing a base layer: the second waits while the first
// brings it, then leaves it out; when the first fails, the second claims
// it instead.
func TestLayerClaimsSharedBase(t *testing.T) {
	for _, ok := range []bool{true, false} {
		l := newLayerClaims(map[string]bool{"os": true})
		ctx := context.Background()
		haveA, releaseA, err := l.acquire(ctx, []string{"os", "base", "a"})
		if err != nil || !haveA["os"] || haveA["base"] {
			t.Fatalf("first image: have %v, %v", haveA, err)
		}
		type result struct {
			have    map[string]bool
			release func(bool)
		}
		got := make(chan result)
		go func() {
			have, release, err := l.acquire(ctx, []string{"os", "base", "b"})
			if err != nil {
				t.Error(err)
			}
			got <- result{have, release}
		}()
		select {
		case r := <-got:
			t.Fatalf("the second image went on while the shared layer was in flight: %v", r.have)
		default:
		}
		releaseA(ok)
		r := <-got
		if r.have["base"] != ok || r.have["b"] {
			t.Errorf("first load ok=%v: the second image leaves out %v", ok, r.have)
		}
		r.release(true)
		if !l.host["base"] || !l.host["b"] || l.host["a"] != ok {
			t.Errorf("ok=%v: the host is known to have %v", ok, l.host)
		}
	}
}

// An image with nothing in common with one in flight does not wait, and
// a waiting one gives up with its context.
func TestLayerClaimsIndependentAndCancel(t *testing.T) {
	l := newLayerClaims(nil)
	_, release, _ := l.acquire(context.Background(), []string{"x"})
	if _, r2, err := l.acquire(context.Background(), []string{"y"}); err != nil {
		t.Fatal(err)
	} else {
		r2(true)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := l.acquire(ctx, []string{"x"}); !errors.Is(err, context.Canceled) {
		t.Errorf("acquire on a cancelled context: %v", err)
	}
	release(true)
}

type fakeRunner struct {
	err  error
	cmds []string
}

func (f *fakeRunner) Run(_ context.Context, cmd string, _ io.Reader, _, _ io.Writer) error {
	f.cmds = append(f.cmds, cmd)
	return f.err
}

func TestPickCodec(t *testing.T) {
	ctx := context.Background()
	if c := pickCodec(ctx, "1.45", &fakeRunner{}); c != Zstd {
		t.Errorf("engine API 1.45: %s", c)
	}
	if c := pickCodec(ctx, "1.41", &fakeRunner{}); c != ZstdCLI {
		t.Errorf("engine API 1.41 and zstd on the host: %s", c)
	}
	if c := pickCodec(ctx, "1.41", &fakeRunner{err: errors.New("exit 1")}); c != Gzip {
		t.Errorf("engine API 1.41 without zstd: %s", c)
	}
	if c := pickCodec(ctx, "1.41", nil); c != Gzip {
		t.Errorf("engine API 1.41, no shell: %s", c)
	}
}

// filterTar leaves out the omitted files and compresses with the codec.
func TestFilterTarCodecs(t *testing.T) {
	var src bytes.Buffer
	tw := tar.NewWriter(&src)
	for _, name := range []string{"manifest.json", "keep/layer.tar", "drop/layer.tar"} {
		body := bytes.Repeat([]byte(name), 1000)
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
		tw.Write(body)
	}
	tw.Close()
	path := filepath.Join(t.TempDir(), "image.tar")
	os.WriteFile(path, src.Bytes(), 0o644)
	f, _ := os.Open(path)
	defer f.Close()
	for _, c := range []Codec{Zstd, ZstdCLI, Gzip, Plain} {
		var out bytes.Buffer
		if err := filterTar(f, &out, map[string]bool{"drop/layer.tar": true}, c); err != nil {
			t.Fatal(err)
		}
		var r io.Reader = &out
		switch c {
		case Zstd, ZstdCLI:
			d, err := zstd.NewReader(r)
			if err != nil {
				t.Fatal(err)
			}
			r = d
		case Gzip:
			g, err := gzip.NewReader(r)
			if err != nil {
				t.Fatal(err)
			}
			r = g
		}
		tr := tar.NewReader(r)
		var names []string
		for {
			h, err := tr.Next()
			if err != nil {
				if err != io.EOF {
					t.Fatalf("%s: %v", c, err)
				}
				break
			}
			names = append(names, h.Name)
		}
		if len(names) != 2 || names[0] != "manifest.json" || names[1] != "keep/layer.tar" {
			t.Errorf("%s: the stream holds %v", c, names)
		}
	}
	if _, err := compressor("lz4", io.Discard); err == nil {
		t.Error("an unknown codec was accepted")
	}
}

// A layer file that appears at two places in an image is left out only
// when the host has both.
func TestOmittedRepeatedLayer(t *testing.T) {
	files := map[string][]string{"empty": {"c1", "c3"}, "top": {"c2"}}
	if got := omitted(files, map[string]bool{"c1": true, "c2": true}); got["empty"] || !got["top"] {
		t.Errorf("omitted %v", got)
	}
	if got := omitted(files, map[string]bool{"c1": true, "c3": true}); !got["empty"] || got["top"] {
		t.Errorf("omitted %v", got)
	}
	if got := allChains(files); len(got) != 3 {
		t.Errorf("chains %v", got)
	}
}

func TestBrokenStream(t *testing.T) {
	for _, err := range []error{io.EOF, io.ErrUnexpectedEOF, errors.New("error during connect: Post \"http://x/images/load\": EOF"),
		errors.New("write unix: broken pipe")} {
		if !BrokenStream(err) {
			t.Errorf("%v: not a broken stream", err)
		}
	}
	if BrokenStream(errors.New("no space left on device")) {
		t.Error("an engine's answer was taken for a broken stream")
	}
}
