package remote

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

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

// copyTo leaves out the omitted files, compresses with the codec and
// counts the bytes of the files it copied.
func TestArchiveCopyToCodecs(t *testing.T) {
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
	a := &archive{f: f}
	omit := map[string]bool{"drop/layer.tar": true}
	for _, c := range []Codec{Zstd, ZstdCLI, Gzip, Plain} {
		var out bytes.Buffer
		var copied atomic.Int64
		if err := a.copyTo(&out, omit, c, &copied); err != nil {
			t.Fatal(err)
		}
		if want := int64(len("manifest.json")+len("keep/layer.tar")) * 1000; copied.Load() != want {
			t.Errorf("%s: counted %d bytes copied, want %d", c, copied.Load(), want)
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

// One archive of two images sharing their first layer (as `docker save a
// b` writes it): the shared file holds one chain, each top layer another;
// the host having the shared chain leaves that file out, and the bytes
// to send are the rest.
func TestReadArchiveSharedLayer(t *testing.T) {
	diff := func(s string) string { return "sha256:" + strings.Repeat(s, 64) }
	cfg := func(ids ...string) string {
		b, _ := json.Marshal(map[string]any{"rootfs": map[string]any{"type": "layers", "diff_ids": ids}})
		return string(b)
	}
	manifest, _ := json.Marshal([]manifestEntry{
		{Config: "a.json", Layers: []string{"base/layer.tar", "a/layer.tar"}},
		{Config: "b.json", Layers: []string{"base/layer.tar", "b/layer.tar"}},
	})
	files := []struct{ name, body string }{
		{"base/layer.tar", strings.Repeat("x", 5000)},
		{"a/layer.tar", strings.Repeat("a", 300)},
		{"b/layer.tar", strings.Repeat("b", 200)},
		{"a.json", cfg(diff("1"), diff("2"))},
		{"b.json", cfg(diff("1"), diff("3"))},
		{"manifest.json", string(manifest)},
	}
	var src bytes.Buffer
	tw := tar.NewWriter(&src)
	var all int64
	for _, f := range files {
		tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.body)), Typeflag: tar.TypeReg})
		tw.Write([]byte(f.body))
		all += int64(len(f.body))
	}
	tw.Close()
	path := filepath.Join(t.TempDir(), "images.tar")
	os.WriteFile(path, src.Bytes(), 0o644)
	f, _ := os.Open(path)
	defer f.Close()
	a, err := readArchive(f)
	if err != nil {
		t.Fatal(err)
	}
	chainsA, chainsB := chainIDs([]string{diff("1"), diff("2")}), chainIDs([]string{diff("1"), diff("3")})
	if got := a.layers["base/layer.tar"]; len(got) != 2 || got[0] != diff("1") || got[1] != diff("1") {
		t.Errorf("the shared file holds %v", got)
	}
	if a.layers["a/layer.tar"][0] != chainsA[1] || a.layers["b/layer.tar"][0] != chainsB[1] {
		t.Errorf("top layers: %v", a.layers)
	}
	if a.size(nil) != all {
		t.Errorf("size of everything %d, want %d", a.size(nil), all)
	}
	omit := a.omitted(map[string]bool{diff("1"): true})
	if len(omit) != 1 || !omit["base/layer.tar"] {
		t.Errorf("the host has the shared layer: omitted %v", omit)
	}
	if got := a.size(omit); got != all-5000 {
		t.Errorf("bytes to send without the shared layer: %d, want %d", got, all-5000)
	}
}

// A layer file that appears at two places in an image is left out only
// when the host has both.
func TestOmittedRepeatedLayer(t *testing.T) {
	a := &archive{layers: map[string][]string{"empty": {"c1", "c3"}, "top": {"c2"}}}
	if got := a.omitted(map[string]bool{"c1": true, "c2": true}); got["empty"] || !got["top"] {
		t.Errorf("omitted %v", got)
	}
	if got := a.omitted(map[string]bool{"c1": true, "c3": true}); !got["empty"] || got["top"] {
		t.Errorf("omitted %v", got)
	}
}

// progress tells how far a stream is until stopped, and nothing after.
func TestProgress(t *testing.T) {
	var read, sent atomic.Int64
	read.Store(512 << 20)
	sent.Store(100 << 20)
	r := &updates{}
	stop := progress(r, 1<<30, &read, &sent, time.Millisecond)
	for r.count() == 0 {
		time.Sleep(time.Millisecond)
	}
	stop()
	n := r.count()
	time.Sleep(10 * time.Millisecond)
	if r.count() != n {
		t.Error("progress went on after stop")
	}
	if got := r.last(); got != "sending: 50% of 1.0 GiB read, 100.0 MiB sent" {
		t.Errorf("progress line %q", got)
	}
}

// updates records a step's updates.
type updates struct {
	mu    sync.Mutex
	lines []string
}

func (u *updates) Start(string) {}
func (u *updates) Update(s string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.lines = append(u.lines, s)
}
func (u *updates) End(error)      {}
func (u *updates) Skip(string)    {}
func (u *updates) Println(string) {}

func (u *updates) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.lines)
}

func (u *updates) last() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.lines[len(u.lines)-1]
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
