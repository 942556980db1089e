package quality

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/overwatch-dqm/overwatch"
)

// BadChannelsKind is the overwatch.Document kind of a detector's
// bad-channel list: one document per subsystem, named by the subsystem,
// persistent across runs. Its history records every proposal and decision.
const BadChannelsKind = "badchannels"

// MaxBadChannels bounds the channels of one list (proposals beyond it are
// not recorded).
const MaxBadChannels = 20000

// The states of a listed channel.
const (
	// ChannelProposed: found by DeadChannels or HotChannels, not yet
	// decided by an expert.
	ChannelProposed = "proposed"
	// ChannelConfirmed: an expert confirmed it; it is drawn masked and
	// excluded from the checks.
	ChannelConfirmed = "confirmed"
	// ChannelRemoved: an expert removed it (or dismissed the proposal); it
	// is not proposed again until confirmed again.
	ChannelRemoved = "removed"
)

// Channel is one channel of a bad-channel list: a cell of a channel-map
// histogram.
type Channel struct {
	Hist string `json:"hist"`
	// Cell is the histogram's global cell (ROOT's global bin number).
	Cell int `json:"cell"`
	// X and Y are the cell's bin centres, for people.
	X float64 `json:"x"`
	Y float64 `json:"y,omitempty"`
	// State is ChannelProposed, ChannelConfirmed or ChannelRemoved.
	State string `json:"state"`
	// Check is the check that proposed it (DeadChannels, HotChannels).
	Check string `json:"check,omitempty"`
	// Run and Since are the run and time of the first proposal.
	Run   int       `json:"run,omitempty"`
	Since time.Time `json:"since"`
	// By and At are who decided the state last, and when (empty while
	// proposed).
	By string    `json:"by,omitempty"`
	At time.Time `json:"at"`
}

// BadChannels is a subsystem's bad-channel list.
type BadChannels struct {
	Subsystem string    `json:"subsystem"`
	Channels  []Channel `json:"channels"` // sorted by histogram, then cell
}

func (b *BadChannels) find(hist string, cell int) (int, bool) {
	i := sort.Search(len(b.Channels), func(i int) bool {
		c := b.Channels[i]
		return c.Hist > hist || c.Hist == hist && c.Cell >= cell
	})
	return i, i < len(b.Channels) && b.Channels[i].Hist == hist && b.Channels[i].Cell == cell
}

// Propose adds the offending cells of a channel check's result on h as
// proposals, unless already listed (in any state). It reports whether the
// list changed.
func (b *BadChannels) Propose(h *overwatch.Hist, r Result, run int, at time.Time) bool {
	if h == nil || len(r.Bins) == 0 {
		return false
	}
	changed := false
	for _, cell := range r.Bins {
		i, ok := b.find(h.Name, cell)
		if ok || len(b.Channels) >= MaxBadChannels {
			continue
		}
		c := Channel{Hist: h.Name, Cell: cell, State: ChannelProposed, Check: r.Check, Run: run, Since: at.UTC()}
		c.X, c.Y = cellCentre(h, cell)
		b.Channels = append(b.Channels, Channel{})
		copy(b.Channels[i+1:], b.Channels[i:])
		b.Channels[i] = c
		changed = true
	}
	return changed
}

// cellCentre returns the bin centres of a global cell of a 1-D or 2-D
// histogram.
func cellCentre(h *overwatch.Hist, cell int) (x, y float64) {
	if h.Dim() == 1 {
		return h.X.BinCenter(cell), 0
	}
	stride := h.X.NBins + 2
	return h.X.BinCenter(cell % stride), h.Y.BinCenter(cell / stride)
}

// Decide sets a listed channel's state to ChannelConfirmed or
// ChannelRemoved on behalf of user.
func (b *BadChannels) Decide(hist string, cell int, state, user string, at time.Time) error {
	if state != ChannelConfirmed && state != ChannelRemoved {
		return fmt.Errorf("quality: channel state %q: expected %s or %s", state, ChannelConfirmed, ChannelRemoved)
	}
	i, ok := b.find(hist, cell)
	if !ok {
		return fmt.Errorf("quality: channel %d of %s is not in the %s bad-channel list: %w", cell, hist, b.Subsystem, overwatch.ErrNotFound)
	}
	b.Channels[i].State, b.Channels[i].By, b.Channels[i].At = state, user, at.UTC()
	return nil
}

// Confirmed returns the confirmed cells of a histogram, increasing.
func (b *BadChannels) Confirmed(hist string) []int {
	if b == nil {
		return nil
	}
	var out []int
	i, _ := b.find(hist, -1<<62)
	for ; i < len(b.Channels) && b.Channels[i].Hist == hist; i++ {
		if b.Channels[i].State == ChannelConfirmed {
			out = append(out, b.Channels[i].Cell)
		}
	}
	return out
}

// Of returns the listed channels of a histogram.
func (b *BadChannels) Of(hist string) []Channel {
	if b == nil {
		return nil
	}
	var out []Channel
	i, _ := b.find(hist, -1<<62)
	for ; i < len(b.Channels) && b.Channels[i].Hist == hist; i++ {
		out = append(out, b.Channels[i])
	}
	return out
}

// Count returns the numbers of confirmed and proposed channels.
func (b *BadChannels) Count() (confirmed, proposed int) {
	for _, c := range b.Channels {
		switch c.State {
		case ChannelConfirmed:
			confirmed++
		case ChannelProposed:
			proposed++
		}
	}
	return confirmed, proposed
}

// Document returns the list as a document to store.
func (b *BadChannels) Document(author, comment string) (overwatch.Document, error) {
	if !overwatch.ValidSubsystem(b.Subsystem) {
		return overwatch.Document{}, fmt.Errorf("quality: bad channels of subsystem %q: invalid subsystem", b.Subsystem)
	}
	body, err := json.Marshal(b)
	if err != nil {
		return overwatch.Document{}, err
	}
	return overwatch.Document{Kind: BadChannelsKind, Name: b.Subsystem, Author: author, Comment: comment, Body: body}, nil
}

// BadChannelsFromDocument decodes a stored list (a tombstone is an empty
// list).
func BadChannelsFromDocument(d overwatch.Document) (*BadChannels, error) {
	if d.Kind != BadChannelsKind {
		return nil, fmt.Errorf("quality: document %s/%s is not a bad-channel list", d.Kind, d.Name)
	}
	b := &BadChannels{Subsystem: d.Name}
	if d.Deleted {
		return b, nil
	}
	if err := json.Unmarshal(d.Body, b); err != nil {
		return nil, fmt.Errorf("quality: bad-channel list %s: %w", d.Name, err)
	}
	if b.Subsystem != d.Name {
		return nil, fmt.Errorf("quality: bad-channel list %s holds subsystem %q", d.Name, b.Subsystem)
	}
	sort.SliceStable(b.Channels, func(i, j int) bool {
		x, y := b.Channels[i], b.Channels[j]
		return x.Hist < y.Hist || x.Hist == y.Hist && x.Cell < y.Cell
	})
	return b, nil
}
