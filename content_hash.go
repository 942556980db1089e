package overwatch

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"sort"
)

// ContentHash identifies the objects of a snapshot, whoever wrote the
// file: a SHA-256 over the entries sorted by path, each with its class and
// content (for a histogram its binning, labels, cells, errors, entries and
// statistics; other objects by their JSON). Two snapshots with the same
// hash hold the same data: the rule by which receivers and ingestion
// recognise a snapshot identical to the previous one of its run (the
// mergers repeat their last state after the end of a run), which is then
// not stored again.
func ContentHash(entries []Entry) [32]byte {
	es := append([]Entry(nil), entries...)
	sort.SliceStable(es, func(i, j int) bool { return es[i].Path() < es[j].Path() })
	h := sha256.New()
	var buf []byte
	str := func(s string) {
		buf = binary.LittleEndian.AppendUint64(buf, uint64(len(s)))
		buf = append(buf, s...)
	}
	num := func(v float64) { buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v)) }
	nums := func(vs []float64) {
		buf = binary.LittleEndian.AppendUint64(buf, uint64(len(vs)))
		for _, v := range vs {
			num(v)
		}
	}
	flush := func() {
		h.Write(buf)
		buf = buf[:0]
	}
	for _, e := range es {
		str(e.Path())
		if e.Object == nil {
			str("")
			continue
		}
		str(e.Object.ClassName())
		hist, ok := e.Object.(*Hist)
		if !ok || hist == nil {
			js, err := AppendJSON(nil, e.Object, JSONOptions{})
			if err != nil {
				str("unencodable: " + err.Error())
			} else {
				str(string(js))
			}
			flush()
			continue
		}
		str(hist.Title)
		for _, a := range []*Axis{&hist.X, &hist.Y, &hist.Z} {
			buf = binary.LittleEndian.AppendUint64(buf, uint64(a.NBins))
			num(a.Min)
			num(a.Max)
			nums(a.Edges)
			buf = binary.LittleEndian.AppendUint64(buf, uint64(len(a.Labels)))
			for _, l := range a.Labels {
				str(l)
			}
		}
		num(hist.Entries)
		s := hist.Stats
		for _, v := range []float64{s.Sumw, s.Sumw2, s.Sumwx, s.Sumwx2, s.Sumwy, s.Sumwy2, s.Sumwxy, s.Sumwz, s.Sumwz2, s.Sumwxz, s.Sumwyz} {
			num(v)
		}
		flush()
		for _, arr := range [][]float64{hist.Contents, hist.Sumw2, hist.BinEntries, hist.BinSumw2} {
			nums(arr)
			flush()
		}
	}
	flush()
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}
