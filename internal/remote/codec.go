package remote

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/moby/moby/client"
	"github.com/moby/moby/client/pkg/versions"
)

// Codec is how a layer stream travels to the host's engine.
type Codec string

// The codecs, from the best to the one every engine reads.
const (
	// Zstd: zstd into the engine's load API (engines 23.0 and later, API
	// 1.42, detect zstd themselves).
	Zstd Codec = "zstd"
	// ZstdCLI: zstd through the host's shell, `zstd -dc | docker load`,
	// for older engines (Debian 12's 20.10) on a host with zstd installed.
	ZstdCLI Codec = "zstd-cli"
	// Gzip: gzip into the engine's load API, which every engine reads.
	Gzip Codec = "gzip"
	// Plain: no compression (for measuring; never chosen by the probe).
	Plain Codec = "none"
)

// zstdAPI is the first engine API version whose load reads zstd (Docker
// 23.0); 20.10's answers "archive/tar: invalid tar header".
const zstdAPI = "1.42"

// ProbeCodec picks the codec for a host: zstd straight into an engine
// that reads it, else through the host's zstd when it has one, else gzip.
func ProbeCodec(ctx context.Context, engine *client.Client, host Runner) (Codec, error) {
	ping, err := engine.Ping(ctx, client.PingOptions{})
	if err != nil {
		return "", fmt.Errorf("asking the engine its API version: %w", err)
	}
	return pickCodec(ctx, ping.APIVersion, host), nil
}

func pickCodec(ctx context.Context, apiVersion string, host Runner) Codec {
	if apiVersion != "" && versions.GreaterThanOrEqualTo(apiVersion, zstdAPI) {
		return Zstd
	}
	if host != nil && host.Run(ctx, "command -v zstd >/dev/null && command -v docker >/dev/null", nil, io.Discard, io.Discard) == nil {
		return ZstdCLI
	}
	return Gzip
}

// compressor wraps w in the codec's writer; closing it flushes the
// stream (not w).
func compressor(c Codec, w io.Writer) (io.WriteCloser, error) {
	switch c {
	case Zstd, ZstdCLI:
		// One encoder goroutine per stream: a swarm's nodes are shipped
		// to all at once, from machines with few cores.
		return zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))
	case Gzip:
		return gzip.NewWriterLevel(w, gzip.BestSpeed)
	case Plain:
		return nopCloser{w}, nil
	}
	return nil, fmt.Errorf("unknown codec %q", c)
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// load feeds a compressed image tar to the host's engine: through its API,
// or through the host's shell for ZstdCLI.
func load(ctx context.Context, c Codec, engine *client.Client, host Runner, stream io.Reader) error {
	if c == ZstdCLI {
		var out bytes.Buffer
		if err := host.Run(ctx, "zstd -dcq | docker load -q", stream, &out, &out); err != nil {
			return fmt.Errorf("zstd -d | docker load: %w: %s", err, strings.TrimSpace(out.String()))
		}
		return nil
	}
	res, err := engine.ImageLoad(ctx, stream, client.ImageLoadWithQuiet(true))
	if err != nil {
		return err
	}
	defer res.Close()
	return loadErrors(res)
}
