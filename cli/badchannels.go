package cli

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/quality"
)

func init() {
	register(&command{name: "badchannels list", summary: "list a subsystem's bad channels (proposed by the checks, confirmed or removed by experts)", run: runBadChannelsList})
	register(&command{name: "badchannels confirm", summary: "confirm a proposed bad channel: drawn masked and excluded from the checks", run: runBadChannelsConfirm})
	register(&command{name: "badchannels remove", summary: "remove a bad channel (or dismiss a proposal)", run: runBadChannelsRemove})
	register(&command{name: "badchannels history", summary: "list every version of a subsystem's bad-channel list", run: runBadChannelsHistory})
}

func runBadChannelsList(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "badchannels list", "--data DIR --sys EMC [--hist NAME]")
	f := newReferenceFlags(fs, e, false)
	hist := fs.String("hist", "", "only the channels of this `histogram`")
	st, err := f.open(e, fs, args)
	if err != nil {
		return err
	}
	defer st.Close()
	if !overwatch.ValidSubsystem(*f.sys) {
		return fmt.Errorf("%w: --sys %q: expected 2-8 upper-case letters or digits, such as EMC", errUsage, *f.sys)
	}
	d, err := st.Document(ctx, quality.BadChannelsKind, *f.sys, 0)
	if errors.Is(err, overwatch.ErrNotFound) {
		fmt.Fprintf(e.stdout, "%s has no bad-channel list\n", *f.sys)
		return nil
	}
	if err != nil {
		return err
	}
	b, err := quality.BadChannelsFromDocument(d)
	if err != nil {
		return err
	}
	c, p := b.Count()
	fmt.Fprintf(e.stdout, "%s bad channels (version %d): %d confirmed, %d proposed\n", *f.sys, d.Version, c, p)
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HIST\tCELL\tX\tY\tSTATE\tCHECK\tRUN\tBY")
	for _, ch := range b.Channels {
		if *hist != "" && ch.Hist != *hist {
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%g\t%g\t%s\t%s\t%d\t%s\n", ch.Hist, ch.Cell, ch.X, ch.Y, ch.State, ch.Check, ch.Run, ch.By)
	}
	return tw.Flush()
}

func runBadChannelsConfirm(ctx context.Context, e *env, args []string) error {
	return badChannelsDecide(ctx, e, "badchannels confirm", quality.ChannelConfirmed, args)
}

func runBadChannelsRemove(ctx context.Context, e *env, args []string) error {
	return badChannelsDecide(ctx, e, "badchannels remove", quality.ChannelRemoved, args)
}

func badChannelsDecide(ctx context.Context, e *env, name, state string, args []string) error {
	fs := newFlagSet(e, name, "--data DIR --sys EMC --hist NAME --cell N [--comment TEXT] [--author NAME]")
	f := newReferenceFlags(fs, e, true)
	hist := fs.String("hist", "", "the channel map `histogram`")
	cell := fs.Int("cell", -1, "the channel's global `cell` (as listed)")
	st, err := f.open(e, fs, args)
	if err != nil {
		return err
	}
	defer st.Close()
	if !overwatch.ValidSubsystem(*f.sys) || *hist == "" || *cell < 0 {
		return fmt.Errorf("%w: --sys, --hist and --cell are required", errUsage)
	}
	for attempt := 0; ; attempt++ {
		d, err := st.Document(ctx, quality.BadChannelsKind, *f.sys, 0)
		if errors.Is(err, overwatch.ErrNotFound) {
			return fmt.Errorf("%s has no bad-channel list", *f.sys)
		}
		if err != nil {
			return err
		}
		b, err := quality.BadChannelsFromDocument(d)
		if err != nil {
			return err
		}
		if err := b.Decide(*hist, *cell, state, *f.author, time.Now()); err != nil {
			return err
		}
		nd, err := b.Document(*f.author, *f.comment)
		if err != nil {
			return err
		}
		stored, err := st.PutDocument(ctx, nd, d.Version)
		if errors.Is(err, overwatch.ErrVersionConflict) && attempt < 4 {
			continue // the checks proposed channels meanwhile: decide again on the new list
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s %s cell %d: %s (version %d)\n", *f.sys, *hist, *cell, state, stored.Version)
		return nil
	}
}

func runBadChannelsHistory(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "badchannels history", "--data DIR --sys EMC")
	f := newReferenceFlags(fs, e, false)
	st, err := f.open(e, fs, args)
	if err != nil {
		return err
	}
	defer st.Close()
	if !overwatch.ValidSubsystem(*f.sys) {
		return fmt.Errorf("%w: --sys is required", errUsage)
	}
	hist, err := st.DocumentHistory(ctx, quality.BadChannelsKind, *f.sys)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tWHEN\tBY\tCONFIRMED\tPROPOSED\tCOMMENT")
	for _, d := range hist {
		c, p := 0, 0
		if b, err := quality.BadChannelsFromDocument(d); err == nil {
			c, p = b.Count()
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%d\t%s\n", d.Version, d.Time.UTC().Format("2006-01-02 15:04:05Z"), d.Author, c, p, oneLine(d.Comment))
	}
	return tw.Flush()
}
