package cost

import (
	"encoding/json"
	"io"
	"math"
)

// JSONEstimate is the stable JSON shape of an estimate (mlforge cost
// --json). Prices the table lacks are null with "known": false, never 0;
// "total.complete" false means the totals are a lower bound. Amounts are
// rounded to six decimals per hour and four per month.
type JSONEstimate struct {
	Region        string     `json:"region"`
	State         string     `json:"state"` // "running" or "stopped"
	PriceDate     string     `json:"priceDate"`
	Currency      string     `json:"currency"`
	HoursPerMonth int        `json:"hoursPerMonth"`
	Lines         []JSONLine `json:"lines"`
	Total         JSONTotal  `json:"total"`
	Notes         []string   `json:"notes"`
	Source        string     `json:"source"`
}

// JSONLine is one item of JSONEstimate.
type JSONLine struct {
	Item      string   `json:"item"`
	Quantity  float64  `json:"quantity"`
	Unit      string   `json:"unit"`
	PriceUnit string   `json:"priceUnit"`
	UnitPrice *float64 `json:"unitPrice"`
	PerHour   *float64 `json:"perHour"`
	PerMonth  *float64 `json:"perMonth"`
	Known     bool     `json:"known"`
	Estimate  bool     `json:"estimate"`
	Note      string   `json:"note,omitempty"`
}

// JSONTotal is the sum of the known lines.
type JSONTotal struct {
	PerHour  float64 `json:"perHour"`
	PerMonth float64 `json:"perMonth"`
	Complete bool    `json:"complete"`
}

// JSON converts the estimate to its JSON shape.
func (e Estimate) JSON() JSONEstimate {
	out := JSONEstimate{Region: e.Region, State: "running", PriceDate: e.PriceDate, Currency: e.Currency,
		HoursPerMonth: e.HoursPerMonth, Lines: []JSONLine{}, Notes: append([]string{}, e.Notes...), Source: e.Source,
		Total: JSONTotal{PerHour: round(e.PerHour, 6), PerMonth: round(e.PerMonth, 4), Complete: e.Complete}}
	if e.Stopped {
		out.State = "stopped"
	}
	for _, l := range e.Lines {
		jl := JSONLine{Item: l.Item, Quantity: l.Quantity, Unit: l.Unit, PriceUnit: l.PriceUnit,
			Known: l.Known, Estimate: l.Estimate, Note: l.Note}
		if l.Known {
			jl.UnitPrice = ptr(round(l.UnitPrice, 6))
			jl.PerHour = ptr(round(l.PerHour, 6))
			jl.PerMonth = ptr(round(l.PerMonth, 4))
		}
		out.Lines = append(out.Lines, jl)
	}
	return out
}

// RenderJSON writes the estimate's JSON shape, indented, with a final newline.
func RenderJSON(w io.Writer, e Estimate) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(e.JSON())
}

func round(v float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(v*p) / p
}

func ptr(v float64) *float64 { return &v }
