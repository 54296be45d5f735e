package cost

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

// RenderTable writes the estimate for people: one row per item with its
// quantity, unit price, and cost per hour and per month, then the total
// ("at least" when a price is unknown) and where the prices come from.
func RenderTable(w io.Writer, e Estimate) error {
	state := "running"
	if e.Stopped {
		state = "stopped"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Cost in %s, %s (prices of %s, %s; a month is %d hours)\n", e.Region, state, e.PriceDate, e.Currency, e.HoursPerMonth)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ITEM\tQUANTITY\tUNIT PRICE\tPER HOUR\tPER MONTH")
	for _, l := range e.Lines {
		unit, hour, month := "unknown", "unknown", "unknown"
		if l.Known {
			unit = Dollars(l.UnitPrice) + "/" + l.PriceUnit
			hour, month = fmt.Sprintf("$%.4f", l.PerHour), fmt.Sprintf("$%.2f", l.PerMonth)
		}
		if l.Estimate && l.Known {
			unit = "~" + unit
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", l.Item, quantity(l), unit, hour, month)
	}
	total := "Total"
	if !e.Complete {
		total = "Total (at least)"
	}
	fmt.Fprintf(tw, "%s\t\t\t$%.4f\t$%.2f\n", total, e.PerHour, e.PerMonth)
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, l := range e.Lines {
		if l.Note != "" {
			fmt.Fprintf(&b, "%s: %s.\n", l.Item, l.Note)
		}
	}
	for _, n := range e.Notes {
		fmt.Fprintln(&b, n)
	}
	fmt.Fprintf(&b, "Source: %s.\n", e.Source)
	_, err := io.WriteString(w, b.String())
	return err
}

// Dollars formats a unit price: at least two decimals, at most five,
// without trailing zeros ($0.10, $0.0832, $0.10185).
func Dollars(v float64) string {
	s := strconv.FormatFloat(v, 'f', 5, 64)
	s = strings.TrimRight(s, "0")
	if i := strings.IndexByte(s, '.'); len(s)-i-1 < 2 {
		s += strings.Repeat("0", 2-(len(s)-i-1))
	}
	return "$" + s
}

func quantity(l Line) string {
	q := strconv.FormatFloat(l.Quantity, 'f', -1, 64)
	if l.Quantity != float64(int64(l.Quantity)) {
		q = strconv.FormatFloat(l.Quantity, 'f', 1, 64)
	}
	switch {
	case (l.Unit == "instance" || l.Unit == "address") && l.Quantity == 1:
		return "1 " + l.Unit
	case l.Unit == "instance":
		return q + " instances"
	case l.Unit == "address":
		return q + " addresses"
	}
	return q + " " + l.Unit
}
