package cli

import (
	"context"
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

func runServe(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "serve", "--config FILE [--data DIR] [--listen ADDR]")
	path := fs.String("config", "", "configuration `file` (YAML); environment variables OVERWATCH_* override it, flags override both")
	data := fs.String("data", "", "data `directory` (overrides the configuration)")
	listen := fs.String("listen", "", "web app `address` (overrides web.listen)")
	png := fs.String("png", "", "when histogram images are rendered: `demand` or eager (overrides processing.png)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	cfg, err := loadConfig(e, *path)
	if err != nil {
		return err
	}
	if *data != "" {
		cfg.Data = *data
	}
	if *listen != "" {
		cfg.Web.Listen = *listen
	}
	if *png != "" {
		cfg.Processing.PNG = *png
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
