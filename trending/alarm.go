package trending

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
)

// A Check decides from a trend's values (oldest first, newest last) whether
// something is wrong. It is a pure function of the series: the same series
// always gives the same result and message body.
type Check interface {
	// Check returns whether the series raises the alarm and, if so, the
	// message body, e.g. "(BetweenValuesAlarm): value 105 not in [0, 100]".
	Check(series []float64) (bool, string)
}

// fmtNum formats a number for alarm messages: the shortest representation
// that round-trips, so messages are deterministic across platforms.
func fmtNum(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// BetweenValues raises the alarm when the newest value lies outside the
// inclusive range [Min, Max] (original-processing.md §7.2).
type BetweenValues struct {
	Min, Max float64
}

// NewBetweenValuesCentered returns BetweenValues for center ± maxDistance,
// the original's default form (center 50, distance 50).
func NewBetweenValuesCentered(center, maxDistance float64) BetweenValues {
	return BetweenValues{Min: center - maxDistance, Max: center + maxDistance}
}

// Check implements Check.
func (a BetweenValues) Check(s []float64) (bool, string) {
	if len(s) == 0 {
		return false, ""
	}
	v := s[len(s)-1]
	if v < a.Min || v > a.Max || math.IsNaN(v) {
		return true, fmt.Sprintf("(BetweenValuesAlarm): value %s not in [%s, %s]", fmtNum(v), fmtNum(a.Min), fmtNum(a.Max))
	}
	return false, ""
}

// CheckLastN raises the alarm when at least N values exist and fewer than
// Ratio·N of the newest N lie strictly inside (Min, Max).
type CheckLastN struct {
	Min, Max float64
	Ratio    float64
	N        int
}

// Check implements Check.
func (a CheckLastN) Check(s []float64) (bool, string) {
	if a.N <= 0 || len(s) < a.N {
		return false, ""
	}
	inside := 0
	for _, v := range s[len(s)-a.N:] {
		if v > a.Min && v < a.Max {
			inside++
		}
	}
	if float64(inside) < a.Ratio*float64(a.N) {
		return true, fmt.Sprintf("(CheckLastNAlarm): only %d of the last %d values in (%s, %s), fewer than %s %%",
			inside, a.N, fmtNum(a.Min), fmtNum(a.Max), fmtNum(a.Ratio*100))
	}
	return false, ""
}

// MeanInRange raises the alarm when at least N values exist and the
// arithmetic mean of the newest N is not strictly inside (Min, Max).
type MeanInRange struct {
	Min, Max float64
	N        int
}

// Check implements Check.
func (a MeanInRange) Check(s []float64) (bool, string) {
	if a.N <= 0 || len(s) < a.N {
		return false, ""
	}
	var sum float64
	for _, v := range s[len(s)-a.N:] {
		sum += v
	}
	mean := sum / float64(a.N)
	if !(mean > a.Min && mean < a.Max) {
		return true, fmt.Sprintf("(MeanInRangeAlarm): mean %s of last %d values not in (%s, %s)",
			fmtNum(mean), a.N, fmtNum(a.Min), fmtNum(a.Max))
	}
	return false, ""
}

// AbsolutePreviousValue raises the alarm when at least two values exist and
// the newest differs from the previous one by more than MaxDelta.
type AbsolutePreviousValue struct {
	MaxDelta float64
}

// Check implements Check.
func (a AbsolutePreviousValue) Check(s []float64) (bool, string) {
	if len(s) < 2 {
		return false, ""
	}
	c, p := s[len(s)-1], s[len(s)-2]
	if math.Abs(c-p) > a.MaxDelta || math.IsNaN(c-p) {
		return true, fmt.Sprintf("(AbsolutePreviousValueAlarm): curValue: %s, prevValue: %s, change more than: %s",
			fmtNum(c), fmtNum(p), fmtNum(a.MaxDelta))
	}
	return false, ""
}

// RelativePreviousValue raises the alarm when at least two values exist and
// the newest value c is not within a factor Ratio (> 1) of the previous
// value p: with c negated when p < 0, the alarm is raised unless
// |p|/Ratio <= c <= |p|·Ratio. A sign change therefore always raises it, and
// p = 0 raises it unless c = 0.
type RelativePreviousValue struct {
	Ratio float64
}

// Check implements Check.
func (a RelativePreviousValue) Check(s []float64) (bool, string) {
	if len(s) < 2 {
		return false, ""
	}
	c, p := s[len(s)-1], s[len(s)-2]
	if p < 0 {
		c = -c
	}
	ap := math.Abs(p)
	if ap/a.Ratio <= c && c <= ap*a.Ratio {
		return false, ""
	}
	return true, fmt.Sprintf("(RelativePreviousValueAlarm): curValue: %s, prevValue: %s, change more than: %s",
		fmtNum(c), fmtNum(p), fmtNum(a.Ratio))
}

// Node is an alarm in an alarm tree: a value Alarm or an Aggregate.
type Node interface {
	// Label returns the alarm's text label, e.g. "WARNING".
	Label() string
	setParent(p *Aggregate) error
}

// Alarm is a Check with a label, evaluated on a trend's series. When it
// belongs to an Aggregate, every evaluation result is reported to it.
type Alarm struct {
	Name  string // identifies the alarm within its trend
	Text  string // label shown in messages, e.g. "WARNING"
	Check Check
	// Receivers are called with every message the alarm raises (outside
	// the notification lifecycle: used by tests and simple programs).
	Receivers []func(msg string)

	parent *Aggregate
}

// Label returns the alarm's text label.
func (a *Alarm) Label() string { return a.Text }

func (a *Alarm) setParent(p *Aggregate) error {
	if a.parent != nil {
		return fmt.Errorf("trending: alarm %q already belongs to aggregate %q", a.Text, a.parent.Text)
	}
	a.parent = p
	return nil
}

// Evaluate checks the series. It returns whether the alarm is raised and
// the full message "[<Text>]: <body>", calls the receivers when raised, and
// reports the result to the parent aggregate (also when not raised).
func (a *Alarm) Evaluate(series []float64) (bool, string) {
	fired, body := a.Check.Check(series)
	msg := ""
	if fired {
		msg = "[" + a.Text + "]: " + body
		for _, r := range a.Receivers {
			r(msg)
		}
	}
	if a.parent != nil {
		a.parent.report(a, fired)
	}
	return fired, msg
}

// AggregateMode combines the results of an aggregate's children.
type AggregateMode int

// The aggregate modes.
const (
	And AggregateMode = iota // raised when every child is raised
	Or                       // raised when at least one child is raised
)

// Aggregate combines several alarms (possibly on different trends, possibly
// nested). It keeps the latest result of each child; once every child has
// reported in the current round it evaluates itself (raised for And when all
// children are raised, for Or when one is), reports to its own parent, and
// starts a new round. The order in which children report does not matter.
// The message body lists the labels of the raised children, comma
// separated: "[<Text>]: ba1, ba2".
type Aggregate struct {
	Text      string
	Mode      AggregateMode
	Receivers []func(msg string)
	// OnResult, when set, is called with every evaluation (raised or not).
	OnResult func(fired bool, msg string)
	// Warn, when set, is told when a child reports twice within a round
	// (the newer result replaces the older one).
	Warn func(msg string)

	mu       sync.Mutex
	children []Node
	results  []int8 // -1 unset, 0 false, 1 true
	parent   *Aggregate
}

// NewAggregate returns an aggregate of the given children, becoming their
// parent. A child that already has a parent is an error.
func NewAggregate(text string, mode AggregateMode, children ...Node) (*Aggregate, error) {
	g := &Aggregate{Text: text, Mode: mode}
	for _, c := range children {
		if err := g.AddChild(c); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// AddChild adds a child; it must not have a parent yet.
func (g *Aggregate) AddChild(c Node) error {
	if c == Node(g) {
		return fmt.Errorf("trending: aggregate %q cannot contain itself", g.Text)
	}
	if err := c.setParent(g); err != nil {
		return err
	}
	g.mu.Lock()
	g.children = append(g.children, c)
	g.results = append(g.results, -1)
	g.mu.Unlock()
	return nil
}

// Label returns the aggregate's text label.
func (g *Aggregate) Label() string { return g.Text }

func (g *Aggregate) setParent(p *Aggregate) error {
	if g.parent != nil {
		return fmt.Errorf("trending: aggregate %q already belongs to aggregate %q", g.Text, g.parent.Text)
	}
	g.parent = p
	return nil
}

func (g *Aggregate) report(child Node, fired bool) {
	g.mu.Lock()
	idx := -1
	for i, c := range g.children {
		if c == child {
			idx = i
			break
		}
	}
	if idx < 0 {
		g.mu.Unlock()
		return
	}
	if g.results[idx] != -1 && g.Warn != nil {
		g.Warn(fmt.Sprintf("trending: aggregate %q: %q reported twice in one round; keeping the newer result", g.Text, child.Label()))
	}
	if fired {
		g.results[idx] = 1
	} else {
		g.results[idx] = 0
	}
	for _, r := range g.results {
		if r == -1 {
			g.mu.Unlock()
			return
		}
	}
	var raised []string
	all := true
	for i, r := range g.results {
		if r == 1 {
			raised = append(raised, g.children[i].Label())
		} else {
			all = false
		}
		g.results[i] = -1
	}
	g.mu.Unlock()

	var on bool
	if g.Mode == And {
		on = all
	} else {
		on = len(raised) > 0
	}
	msg := ""
	if on {
		msg = "[" + g.Text + "]: " + strings.Join(raised, ", ")
		for _, r := range g.Receivers {
			r(msg)
		}
	}
	if g.OnResult != nil {
		g.OnResult(on, msg)
	}
	if g.parent != nil {
		g.parent.report(g, on)
	}
}

// Registry shares alarms by name (the original's "registrator"):
// GetOrRegister returns the alarm already registered under a name, or
// registers and returns the given one. It is safe for concurrent use.
type Registry struct {
	mu     sync.Mutex
	alarms map[string]Node
}

// GetOrRegister returns the alarm registered under name, registering a
// when there is none.
func (r *Registry) GetOrRegister(name string, a Node) Node {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.alarms == nil {
		r.alarms = map[string]Node{}
	}
	if old, ok := r.alarms[name]; ok {
		return old
	}
	r.alarms[name] = a
	return a
}

// Len returns the number of registered alarms.
func (r *Registry) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.alarms)
}
