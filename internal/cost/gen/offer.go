package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
)

// product is one SKU of an offer file's "products" object.
type product struct {
	SKU           string            `json:"sku"`
	ProductFamily string            `json:"productFamily"`
	Attributes    map[string]string `json:"attributes"`
}

// dimension is one price dimension of an on-demand term.
type dimension struct {
	Unit       string
	BeginRange string
	USD        float64
}

// offer is what an offer file holds for mlforge: its products and their
// on-demand price dimensions, by SKU.
type offer struct {
	Code            string
	PublicationDate string
	Products        map[string]product
	OnDemand        map[string][]dimension
}

type rawTerm struct {
	PriceDimensions map[string]struct {
		Unit         string            `json:"unit"`
		BeginRange   string            `json:"beginRange"`
		PricePerUnit map[string]string `json:"pricePerUnit"`
	} `json:"priceDimensions"`
}

// readOffer streams an offer file (AWS Price List API, format v1.0): the
// EC2 ones run to hundreds of megabytes, so it decodes one product or
// term at a time, keeping the products keep accepts and every on-demand
// term (terms may come before products; they are small once parsed).
// Reserved and other terms are read and dropped.
func readOffer(r io.Reader, keep func(product) bool) (*offer, error) {
	dec := json.NewDecoder(r)
	o := &offer{Products: map[string]product{}, OnDemand: map[string][]dimension{}}
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	for dec.More() {
		key, err := stringToken(dec)
		if err != nil {
			return nil, err
		}
		switch key {
		case "offerCode":
			err = dec.Decode(&o.Code)
		case "publicationDate":
			err = dec.Decode(&o.PublicationDate)
		case "products":
			err = eachMember(dec, func(string) error { return o.addProduct(dec, keep) })
		case "terms":
			err = eachMember(dec, func(kind string) error { return o.readTerms(dec, kind) })
		default:
			err = dec.Decode(&json.RawMessage{})
		}
		if err != nil {
			return nil, fmt.Errorf("offer file, %q: %w", key, err)
		}
	}
	if o.Code == "" {
		return nil, fmt.Errorf("offer file: no offerCode (is this an AWS Price List offer file?)")
	}
	return o, nil
}

func (o *offer) addProduct(dec *json.Decoder, keep func(product) bool) error {
	var p product
	if err := dec.Decode(&p); err != nil {
		return err
	}
	if keep(p) {
		o.Products[p.SKU] = p
	}
	return nil
}

func (o *offer) readTerms(dec *json.Decoder, kind string) error {
	if kind != "OnDemand" {
		return dec.Decode(&json.RawMessage{})
	}
	return eachMember(dec, func(sku string) error {
		var terms map[string]rawTerm
		if err := dec.Decode(&terms); err != nil {
			return err
		}
		for _, t := range terms {
			for _, d := range t.PriceDimensions {
				usd, err := strconv.ParseFloat(d.PricePerUnit["USD"], 64)
				if err != nil {
					return fmt.Errorf("SKU %s: price %q is not a number", sku, d.PricePerUnit["USD"])
				}
				o.OnDemand[sku] = append(o.OnDemand[sku], dimension{Unit: d.Unit, BeginRange: d.BeginRange, USD: usd})
			}
		}
		return nil
	})
}

// eachMember calls f for every member of the JSON object at the decoder,
// with the decoder at the member's value.
func eachMember(dec *json.Decoder, f func(key string) error) error {
	if err := expectDelim(dec, '{'); err != nil {
		return err
	}
	for dec.More() {
		key, err := stringToken(dec)
		if err != nil {
			return err
		}
		if err := f(key); err != nil {
			return err
		}
	}
	_, err := dec.Token() // '}'
	return err
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("expected %q, found %v", want, tok)
	}
	return nil
}

func stringToken(dec *json.Decoder) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", err
	}
	s, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("expected a key, found %v", tok)
	}
	return s, nil
}
