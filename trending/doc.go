// Package trending records trends (one value per processed snapshot,
// extracted from a histogram) and evaluates alarms on them, with a stored
// lifecycle and notifications that reach people.
//
// Trends are declared by the detector plug-ins (overwatch.TrendDeclarer)
// and adjusted by configuration (Config). A Manager is told about every
// processed snapshot (Observe, typically by the processing pipeline) and at
// the end of every processing cycle (EndCycle). For each declared trend it
// extracts the value and error with a registered Extractor ("mean",
// "stdDev", "max", "entries", "integral", or one added with
// RegisterExtractor), stores the point keyed by its snapshot (processing a
// snapshot again replaces the point, so restarts neither lose nor duplicate
// anything), and evaluates the trend's alarms on the series.
//
// Alarms follow the original Overwatch rules exactly
// (original-processing.md §7.2–§7.3): BetweenValues (inclusive range),
// CheckLastN and MeanInRange (strict range over the last N values),
// AbsolutePreviousValue, RelativePreviousValue (sign handling), and And/Or
// aggregates, with deterministic messages. Unlike the original, an alarm
// has a lifecycle stored through the Store (firing → resolved, deduplicated,
// acknowledgeable, silenceable until a time), the alarm text on the source
// histogram's information panel disappears when the alarm resolves, alarm
// instances are never shared between trends, and notifications (SMTP
// e-mail, Slack/Mattermost webhooks, a generic JSON webhook) are batched
// once per cycle by a Dispatcher that retries with back-off and never
// blocks processing.
package trending
