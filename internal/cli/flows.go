package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/mlforge/mlforge/internal/stack"
	"github.com/mlforge/mlforge/internal/ui"
)

// printFlows is the orchestrator's part of status: each flow's schedule,
// next run and how its last run ended.
func printFlows(f *Factory, res *stack.Report) {
	if res.FlowsError != "" {
		fmt.Fprintf(f.IO.ErrOut, "note: the orchestrator's flows could not be read: %s\n", res.FlowsError)
	}
	if len(res.Flows) == 0 {
		return
	}
	rows := [][]string{{"FLOW", "SCHEDULE", "NEXT", "LAST RUN"}}
	for _, fl := range res.Flows {
		sched := "on demand"
		if fl.Every != "" {
			sched = "every " + fl.Every
		}
		if fl.Paused {
			sched += " (paused)"
		}
		next := ""
		if fl.Next != nil {
			next = fl.Next.Local().Format("15:04")
		}
		rows = append(rows, []string{fl.Name, sched, next, lastRun(fl.Last)})
	}
	fmt.Fprintln(f.IO.Out)
	ui.Table(f.IO.Out, rows)
}

// lastRun is "completed 14:02: promoted challenger version 3 ...".
func lastRun(r *stack.FlowRun) string {
	if r == nil {
		return "none yet"
	}
	when := ""
	if t := r.End; t != nil {
		when = " " + t.Local().Format("Jan 2 15:04")
		if time.Since(*t) < 24*time.Hour {
			when = " " + t.Local().Format("15:04")
		}
	}
	s := strings.ToLower(r.State) + when
	if r.Message != "" {
		s += ": " + r.Message
	}
	return s
}
