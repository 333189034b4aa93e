package analysis

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// SARIF 2.1.0 (https://docs.oasis-open.org/sarif/sarif/v2.1.0/) subset.

type SarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []SarifRun `json:"runs"`
}

type SarifRun struct {
	Tool    SarifTool     `json:"tool"`
	Results []SarifResult `json:"results"`
}

type SarifTool struct {
	Driver SarifDriver `json:"driver"`
}

type SarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri,omitempty"`
	Version        string      `json:"version,omitempty"`
	Rules          []SarifRule `json:"rules"`
}

type SarifRule struct {
	ID                   string           `json:"id"`
	ShortDescription     SarifText        `json:"shortDescription"`
	DefaultConfiguration SarifRuleDefault `json:"defaultConfiguration"`
}

type SarifRuleDefault struct {
	Level string `json:"level"`
}

type SarifText struct {
	Text string `json:"text"`
}

type SarifResult struct {
	RuleID     string          `json:"ruleId"`
	RuleIndex  int             `json:"ruleIndex"`
	Level      string          `json:"level"`
	Message    SarifText       `json:"message"`
	Locations  []SarifLocation `json:"locations"`
	Properties map[string]any  `json:"properties,omitempty"`
	// Suppressions: the finding is silenced in source (fwpol:ignore).
	Suppressions []SarifSuppression `json:"suppressions,omitempty"`
}

type SarifSuppression struct {
	Kind          string `json:"kind"`
	Justification string `json:"justification,omitempty"`
}

type SarifLocation struct {
	PhysicalLocation SarifPhysical `json:"physicalLocation"`
}

type SarifPhysical struct {
	ArtifactLocation SarifArtifact `json:"artifactLocation"`
	Region           *SarifRegion  `json:"region,omitempty"`
}

type SarifArtifact struct {
	URI string `json:"uri"`
}

type SarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

// SARIF converts findings to a SARIF 2.1.0 log (one run of tool "fwpol");
// suppressed findings carry an inSource suppression.
// File URIs are relative paths with forward slashes, as the findings name them.
func SARIF(fs []LintFinding) *SarifLog {
	drv := SarifDriver{Name: "fwpol", InformationURI: "https://github.com/fwpol/fwpol"}
	index := map[string]int{}
	for i, r := range LintRules {
		index[r.ID] = i
		drv.Rules = append(drv.Rules, SarifRule{ID: r.ID, ShortDescription: SarifText{r.Description},
			DefaultConfiguration: SarifRuleDefault{Level: r.Severity.String()}})
	}
	results := make([]SarifResult, 0, len(fs))
	for _, f := range fs {
		loc := SarifPhysical{ArtifactLocation: SarifArtifact{URI: fileURI(f.File)}}
		if f.Line > 0 {
			loc.Region = &SarifRegion{StartLine: f.Line, StartColumn: f.Col}
		}
		props := map[string]any{"device": f.Device, "vendor": f.Vendor}
		if f.Filter != "" {
			props["filter"] = f.Filter
		}
		if f.Rule != "" {
			props["rule"] = f.Rule
		}
		if f.Object != "" {
			props["object"] = f.Object
		}
		res := SarifResult{RuleID: f.Check, RuleIndex: index[f.Check], Level: f.Severity.String(),
			Message: SarifText{findingText(f)}, Locations: []SarifLocation{{loc}}, Properties: props}
		if f.Suppressed {
			res.Suppressions = []SarifSuppression{{Kind: "inSource", Justification: "fwpol:ignore in the rule's comment"}}
		}
		results = append(results, res)
	}
	return &SarifLog{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0",
		Runs: []SarifRun{{Tool: SarifTool{drv}, Results: results}}}
}

func fileURI(p string) string {
	p = filepath.ToSlash(p)
	if strings.HasPrefix(p, "./") {
		p = p[2:]
	}
	return p
}

// findingText is the one-line message of a finding with what it is about.
func findingText(f LintFinding) string {
	switch {
	case f.Rule != "":
		return fmt.Sprintf("%s %s rule %s: %s", f.Device, f.Filter, f.Rule, f.Message)
	case f.Filter != "":
		return fmt.Sprintf("%s: %s", f.Device, f.Message)
	}
	return fmt.Sprintf("%s: %s", f.Device, f.Message)
}

// WriteGitHub writes findings as GitHub Actions workflow commands
// ("::warning file=F,line=N,col=C,title=T::message"); notes become "notice".
func WriteGitHub(w io.Writer, fs []LintFinding) error {
	for _, f := range fs {
		level := "notice"
		switch f.Severity {
		case SevError:
			level = "error"
		case SevWarning:
			level = "warning"
		}
		props := "file=" + ghProp(fileURI(f.File))
		if f.Line > 0 {
			props += fmt.Sprintf(",line=%d", f.Line)
			if f.Col > 0 {
				props += fmt.Sprintf(",col=%d", f.Col)
			}
		}
		props += ",title=" + ghProp("fwpol "+f.Check)
		if _, err := fmt.Fprintf(w, "::%s %s::%s\n", level, props, ghData(findingText(f))); err != nil {
			return err
		}
	}
	return nil
}

// ghData escapes a workflow command's message.
func ghData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// ghProp escapes a workflow command property value.
func ghProp(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
