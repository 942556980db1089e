package cli

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/overwatch-dqm/overwatch/internal/config"
)

func init() {
	register(&command{name: "serve", summary: "run every component enabled by a configuration file in one process", run: runServe})
	register(&command{name: "config check", summary: "validate a configuration file and print the effective configuration", run: runConfigCheck})
}

// loadConfig reads --config (if given) and the environment.
func loadConfig(e *env, path string) (config.Config, error) {
	return config.Load(path, e.getenv)
}

// configFront is the front of the commands that run from a configuration
// file (serve, transfer): --config, --data and the command's flags that
// override single settings, applied in that order over the environment.
type configFront struct {
	path, data *string
	required   bool
	overrides  []func(*config.Config)
}

// addConfigFront declares --config (with its help text; required says
// whether a command needs it) and --data on fs.
func addConfigFront(fs *flag.FlagSet, configHelp string, required bool) *configFront {
	return &configFront{
		path:     fs.String("config", "", configHelp),
		data:     fs.String("data", "", "data `directory` (overrides the configuration)"),
		required: required,
	}
}

// override declares a string flag that, when given, sets one setting.
func (c *configFront) override(fs *flag.FlagSet, name, usage string, set func(cfg *config.Config, v string)) {
	v := fs.String(name, "", usage)
	c.overrides = append(c.overrides, func(cfg *config.Config) {
		if *v != "" {
			set(cfg, *v)
		}
	})
}

// load parses args (no positional arguments), reads the configuration
// and applies --data and the overrides.
func (c *configFront) load(e *env, fs *flag.FlagSet, args []string) (config.Config, error) {
	if err := parseFlags(fs, args); err != nil {
		return config.Config{}, err
	}
	if err := noArgs(fs); err != nil {
		return config.Config{}, err
	}
	if c.required && *c.path == "" {
		return config.Config{}, fmt.Errorf("%w: --config is required", errUsage)
	}
	cfg, err := loadConfig(e, *c.path)
	if err != nil {
		return config.Config{}, err
	}
	if *c.data != "" {
		cfg.Data = *c.data
	}
	for _, o := range c.overrides {
		o(&cfg)
	}
	return cfg, nil
}

func runServe(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "serve", "--config FILE [--data DIR] [--listen ADDR]")
	front := addConfigFront(fs, "configuration `file` (YAML); environment variables OVERWATCH_* override it, flags override both", false)
	front.override(fs, "listen", "web app `address` (overrides web.listen)", func(c *config.Config, v string) { c.Web.Listen = v })
	front.override(fs, "png", "when histogram images are rendered: `demand` or eager (overrides processing.png)", func(c *config.Config, v string) { c.Processing.PNG = v })
	cfg, err := front.load(e, fs, args)
	if err != nil {
		return err
	}
	log := newLogger(cfg.Log, e.stderr)
	d, err := newDeployment(cfg, log)
	if err != nil {
		return err
	}
	defer d.Close()
	log.Info("overwatch serving", "data", cfg.Data, "web", d.webURL(), "hlt receivers", len(d.hlt), "dqm", d.dqm != nil, "processing", d.proc != nil)
	return d.run(ctx)
}

func runConfigCheck(_ context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "config check", "--config FILE")
	path := fs.String("config", "", "configuration `file` to check (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if *path == "" {
		return fmt.Errorf("%w: --config is required", errUsage)
	}
	cfg, err := loadConfig(e, *path)
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if cfg.Notifications.SMTP != nil && cfg.Notifications.SMTP.Password != "" {
		cfg.Notifications.SMTP.Password = "(set)"
	}
	b, err := yaml.Marshal(cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "# %s is valid; effective configuration:\n%s", *path, strings.TrimRight(string(b), "\n")+"\n")
	return nil
}
