package overwatch_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// ordered is a decoded JSON object that keeps its key order.
type ordered []kv

type kv struct {
	key string
	val any
}

func (o ordered) keys() []string {
	ks := make([]string, len(o))
	for i, e := range o {
		ks[i] = e.key
	}
	return ks
}

func (o ordered) get(k string) any {
	for _, e := range o {
		if e.key == k {
			return e.val
		}
	}
	return nil
}

func (o ordered) has(k string) bool {
	for _, e := range o {
		if e.key == k {
			return true
		}
	}
	return false
}

// decodeOrdered decodes JSON into ordered objects, []any arrays, float64
// numbers, strings, bools and nil.
func decodeOrdered(t testing.TB, b []byte) any {
	t.Helper()
	v, err := parseOrdered(b)
	require.NoError(t, err, "%s", b)
	return v
}

func parseOrdered(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok := tok.(type) {
	case json.Delim:
		switch tok {
		case '{':
			o := ordered{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("object key %v", kt)
				}
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				o = append(o, kv{k, v})
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return o, nil
		case '[':
			a := []any{}
			for dec.More() {
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return a, nil
		}
		return nil, fmt.Errorf("unexpected %v", tok)
	case json.Number:
		// 2e308 (TBufferJSON's infinity) overflows into ±Inf.
		f, err := strconv.ParseFloat(string(tok), 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return nil, err
		}
		return f, nil
	}
	return tok, nil
}
