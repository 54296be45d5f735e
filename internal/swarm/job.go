package swarm

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"github.com/mlforge/mlforge/internal/errs"
)

// JobRun runs one of mlforge.yaml's jobs on the swarm: the job file `up`
// derived (its service as a replicated job on a training node, with its
// reservations) is deployed into the stack without pruning, its output is
// streamed while it runs, and its service is removed when it ends. The
// exit code is the job's.
type JobRun struct {
	Shell   Shell   // the first manager
	API     Manager // its engine
	Dir     string  // the project directory there
	Stack   string
	Job     string // the job's name
	Service string // its compose service
	// Out and ErrOut receive the job's output.
	Out, ErrOut io.Writer
	// Progress receives why the job waits (no node with the resources
	// free, image missing); nil writes it to ErrOut.
	Progress func(string)
	Poll     time.Duration
	// Drain is how long the output may lag the job's end (2s).
	Drain time.Duration
}

// Run runs the job and returns its exit code.
func (j *JobRun) Run(ctx context.Context) (int, error) {
	name := j.Stack + "_" + j.Service
	file := FilesDir(j.Dir) + "/job-" + j.Job + ".yml"
	var out bytes.Buffer
	// A run cut short earlier leaves its service: it goes first.
	script := "test -f " + quote(file) + " || { echo 'no job file " + j.Job + "' >&2; exit 3; }; " +
		"docker service rm " + quote(name) + " >/dev/null 2>&1; cd " + quote(FilesDir(j.Dir)) +
		" && docker stack deploy --resolve-image never -c " + quote("job-"+j.Job+".yml") + " " + quote(j.Stack)
	if err := j.Shell.Run(ctx, script, nil, &out, &out); err != nil {
		if bytes.Contains(out.Bytes(), []byte("no job file")) {
			return 0, errs.WithHint(fmt.Errorf("job %s is not deployed on the swarm", j.Job), "run `mlforge up` first: it prepares the jobs")
		}
		return 0, fmt.Errorf("starting job %s: %w\n%s", j.Job, err, tailLines(out.String(), 20))
	}
	defer j.remove(name)
	logCtx, stopLogs := context.WithCancel(ctx)
	defer stopLogs()
	w := &activity{w: j.Out}
	ew := &activity{w: j.ErrOut, last: w}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = j.Shell.Run(logCtx, "docker service logs --follow --raw "+quote(name), nil, w, ew)
	}()
	task, err := j.wait(ctx, name, ew)
	drain := orDefault(j.Drain, 2*time.Second)
	w.quiet(ctx, drain, 10*drain)
	stopLogs()
	wg.Wait()
	if err != nil {
		return 0, err
	}
	if task.Status.State == swarm.TaskStateRejected {
		return 0, fmt.Errorf("job %s could not start: %s", j.Job, task.Status.Err)
	}
	if task.Status.ContainerStatus == nil {
		return 0, fmt.Errorf("job %s ended (%s) without an exit code: %s", j.Job, task.Status.State, task.Status.Err)
	}
	return task.Status.ContainerStatus.ExitCode, nil
}

// wait polls the job's task until it ends, telling why it waits.
func (j *JobRun) wait(ctx context.Context, name string, errOut io.Writer) (swarm.Task, error) {
	said := ""
	for {
		res, err := j.API.TaskList(ctx, client.TaskListOptions{Filters: make(client.Filters).Add("service", name)})
		if err != nil {
			return swarm.Task{}, fmt.Errorf("following job %s: %w", j.Job, err)
		}
		for _, t := range res.Items {
			if terminal(t.Status.State) {
				return t, nil
			}
			if why := t.Status.Err; why != "" && why != said && t.Status.State == swarm.TaskStatePending {
				said = why
				j.progress(errOut, fmt.Sprintf("job %s is waiting: %s", j.Job, why))
			}
		}
		if err := sleep(ctx, orDefault(j.Poll, time.Second)); err != nil {
			return swarm.Task{}, err
		}
	}
}

// progress tells why the job waits, on errOut (the job's own stderr
// stream, whose writes are serialised) unless Progress is set.
func (j *JobRun) progress(errOut io.Writer, s string) {
	if j.Progress != nil {
		j.Progress(s)
		return
	}
	fmt.Fprintln(errOut, s)
}

// remove deletes the job's service (its task is over).
func (j *JobRun) remove(name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = j.Shell.Run(ctx, "docker service rm "+quote(name)+" >/dev/null 2>&1", nil, io.Discard, io.Discard)
}

// activity is a writer that remembers when it was last written to, so
// the output of a job that ended is read to its end before the stream is
// closed.
type activity struct {
	mu   sync.Mutex
	w    io.Writer
	at   time.Time
	last *activity // records activity there too
}

func (a *activity) Write(p []byte) (int, error) {
	a.touch()
	if a.last != nil {
		a.last.touch()
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.w.Write(p)
}

func (a *activity) touch() {
	a.mu.Lock()
	a.at = time.Now()
	a.mu.Unlock()
}

// quiet waits until nothing was written for d, counting from now (at
// most limit, when it is not 0).
func (a *activity) quiet(ctx context.Context, d, limit time.Duration) {
	start := time.Now()
	for limit == 0 || time.Since(start) < limit {
		a.mu.Lock()
		last := a.at
		a.mu.Unlock()
		if last.Before(start) {
			last = start
		}
		idle := time.Since(last)
		if idle >= d {
			return
		}
		if sleep(ctx, d/4) != nil {
			return
		}
	}
}
