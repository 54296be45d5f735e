package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/moby/moby/client"

	"github.com/mlforge/mlforge/internal/pipeline"
)

// ShipImages copies images from this machine's engine to the host's,
// skipping those the host already has and, inside an image, the layers
// the host already has: a one-line code change ships one small layer, not
// the whole image. The images the host lacks travel together, in one
// archive that holds each layer once however many of them share it (one
// `docker save` of them all reads a shared layer once; one save per image
// read the taxi stack's 1.2 GB of layers as 3.9 GB). The saved archive is
// compressed with the best codec the host reads (ProbeCodec), sent and
// loaded as one stream.
type ShipImages struct {
	Local, Remote *client.Client
	// Host runs commands on the host (its SSH connection): with it, an
	// engine too old to read zstd still gets zstd, through the host's
	// zstd when installed. Optional.
	Host Runner
	// Address names the host in messages.
	Address string
	// Refs are the images this machine built: always shipped when the
	// host's differ.
	Refs []string
	// Pull are the stack's other images: the host pulls them itself, and
	// they are shipped from here only when it cannot (no registry).
	Pull []string
	// Codec is how the layers travel; empty: ProbeCodec decides.
	Codec Codec

	Shipped, Skipped []string
	Bytes            int64 // compressed bytes sent
}

func (s *ShipImages) String() string { return "ship images" }

// Run implements pipeline.Step.
func (s *ShipImages) Run(ctx context.Context, r pipeline.Reporter) error {
	refs, err := s.pullOrShip(ctx, r)
	if err != nil {
		return err
	}
	todo, err := s.missing(ctx, refs)
	if err != nil || len(todo) == 0 {
		r.Update(fmt.Sprintf("%d already there", len(s.Skipped)))
		return err
	}
	if s.Codec == "" {
		if s.Codec, err = ProbeCodec(ctx, s.Remote, s.Host); err != nil {
			return fmt.Errorf("%s: %w", s.host(), err)
		}
	}
	hostChains, err := s.chains(ctx)
	if err != nil {
		return err
	}
	names := strings.Join(todo, ", ")
	r.Update("saving " + names)
	tmp, err := s.save(ctx, todo)
	if tmp != nil {
		defer os.Remove(tmp.Name())
		defer tmp.Close()
	}
	if err != nil {
		return fmt.Errorf("saving %s on this machine: %w", names, err)
	}
	a, err := readArchive(tmp)
	if err != nil {
		return fmt.Errorf("reading the saved %s: %w", names, err)
	}
	omit := a.omitted(hostChains)
	err = s.send(ctx, a, omit, r)
	if err != nil && BrokenStream(err) && ctx.Err() == nil {
		r.Println(fmt.Sprintf("shipping %s to %s: the stream broke (%v); sending it again", names, s.host(), err))
		err = s.send(ctx, a, omit, r)
	}
	if err != nil {
		return fmt.Errorf("shipping %s to %s: %w", names, s.host(), err)
	}
	s.Shipped = append(s.Shipped, todo...)
	slices.Sort(s.Shipped)
	r.Update(fmt.Sprintf("%d shipped (%s, %s), %d already there", len(s.Shipped), human(s.Bytes), s.Codec, len(s.Skipped)))
	return nil
}

func (s *ShipImages) host() string {
	if s.Address != "" {
		return s.Address
	}
	return "the host"
}

// pullOrShip has the host pull the images it can and returns those to
// ship: the built ones, and the others the host could not pull.
func (s *ShipImages) pullOrShip(ctx context.Context, r pipeline.Reporter) ([]string, error) {
	refs := append([]string(nil), s.Refs...)
	for _, ref := range s.Pull {
		if _, err := s.Remote.ImageInspect(ctx, ref); err == nil {
			s.Skipped = append(s.Skipped, ref)
			continue
		}
		r.Update("pulling " + ref + " on the host")
		if err := s.pull(ctx, ref); err == nil {
			s.Skipped = append(s.Skipped, ref)
			continue
		} else if _, lerr := s.Local.ImageInspect(ctx, ref); lerr != nil {
			return nil, fmt.Errorf("image %s: %s cannot pull it (%v) and this machine does not have it", ref, s.host(), err)
		}
		refs = append(refs, ref)
	}
	return refs, nil
}

// missing returns the images whose version here the host lacks.
func (s *ShipImages) missing(ctx context.Context, refs []string) ([]string, error) {
	var todo []string
	for _, ref := range refs {
		local, err := s.Local.ImageInspect(ctx, ref)
		if err != nil {
			return nil, fmt.Errorf("image %s is not on this machine: %w", ref, err)
		}
		if s.current(ctx, ref, local.ID) {
			s.Skipped = append(s.Skipped, ref)
			continue
		}
		todo = append(todo, ref)
	}
	return todo, nil
}

func (s *ShipImages) current(ctx context.Context, ref, id string) bool {
	remote, err := s.Remote.ImageInspect(ctx, ref)
	return err == nil && remote.ID == id
}

func (s *ShipImages) pull(ctx context.Context, ref string) error {
	resp, err := s.Remote.ImagePull(ctx, ref, client.ImagePullOptions{})
	if err != nil {
		return err
	}
	defer resp.Close()
	return resp.Wait(ctx)
}

// chains returns the chain IDs of every layer the host has.
func (s *ShipImages) chains(ctx context.Context) (map[string]bool, error) {
	list, err := s.Remote.ImageList(ctx, client.ImageListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing the images on %s: %w", s.host(), err)
	}
	out := map[string]bool{}
	for _, img := range list.Items {
		res, err := s.Remote.ImageInspect(ctx, img.ID)
		if err != nil {
			continue
		}
		for _, c := range chainIDs(res.RootFS.Layers) {
			out[c] = true
		}
	}
	return out, nil
}

// save writes `docker save` of refs to a temporary file.
func (s *ShipImages) save(ctx context.Context, refs []string) (*os.File, error) {
	tmp, err := os.CreateTemp("", "mlforge-images-*.tar")
	if err != nil {
		return nil, err
	}
	saved, err := s.Local.ImageSave(ctx, refs)
	if err != nil {
		return tmp, err
	}
	defer saved.Close()
	_, err = io.Copy(tmp, saved)
	return tmp, err
}

// send streams the saved archive to the host's engine, compressed,
// without the omitted layer files, telling how far it is every few
// seconds.
func (s *ShipImages) send(ctx context.Context, a *archive, omit map[string]bool, r pipeline.Reporter) error {
	pr, pw := io.Pipe()
	counter := &countingWriter{w: pw}
	var copied atomic.Int64
	done := make(chan error, 1)
	go func() {
		ferr := a.copyTo(counter, omit, s.Codec, &copied)
		pw.CloseWithError(ferr)
		done <- ferr
	}()
	stop := progress(r, a.size(omit), &copied, &counter.n, 2*time.Second)
	err := load(ctx, s.Codec, s.Remote, s.Host, pr)
	stop()
	pr.CloseWithError(errors.Join(err, io.ErrClosedPipe))
	if ferr := <-done; ferr != nil && !errors.Is(ferr, io.ErrClosedPipe) && err != nil {
		err = fmt.Errorf("%w (reading the saved images: %v)", err, ferr)
	}
	s.Bytes += counter.n.Load()
	return err
}

// progress reports, every interval until stop is called, how much of
// total the stream has read and how many bytes it has sent.
func progress(r pipeline.Reporter, total int64, read, sent *atomic.Int64, every time.Duration) (stop func()) {
	quit := make(chan struct{})
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-quit:
				return
			case <-tick.C:
				pct := 100
				if total > 0 {
					pct = int(100 * read.Load() / total)
				}
				r.Update(fmt.Sprintf("sending: %d%% of %s read, %s sent", pct, human(total), human(sent.Load())))
			}
		}
	}()
	return func() { close(quit); <-ended }
}

// BrokenStream reports whether err is a connection or stream that ended
// early, worth one more try, rather than an answer from the engine.
func BrokenStream(err error) bool {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	msg := err.Error()
	for _, s := range []string{"EOF", "connection reset", "broken pipe", "use of closed network connection", "without exit status"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// loadErrors reads docker load's JSON message stream for an error.
func loadErrors(r io.Reader) error {
	dec := json.NewDecoder(r)
	for {
		var msg struct {
			Error       string `json:"error"`
			ErrorDetail *struct {
				Message string `json:"message"`
			} `json:"errorDetail"`
		}
		if err := dec.Decode(&msg); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
		if msg.Error != "" {
			return errors.New(msg.Error)
		}
	}
}

// countingWriter counts the bytes written through it; n may be read
// while they are.
type countingWriter struct {
	w io.Writer
	n atomic.Int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}

func human(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
