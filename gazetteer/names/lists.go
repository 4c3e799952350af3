package names

import (
	"bufio"
	"bytes"
	"embed"
	"fmt"
	"strings"
)

//go:embed data/*.tsv
var dataFS embed.FS

// DefaultGenerics returns the embedded generic-term list (data/generics.tsv).
func DefaultGenerics() []Generic {
	g, err := ParseGenerics(mustData("generics.tsv"))
	if err != nil {
		panic(err) // the embedded file is checked by the tests
	}
	return g
}

// DefaultReadings returns the embedded county reading dictionary (data/readings.tsv).
func DefaultReadings() []Reading {
	rd, err := ParseReadings(mustData("readings.tsv"))
	if err != nil {
		panic(err) // the embedded file is checked by the tests
	}
	return rd
}

// Default returns a Romanizer over the embedded generic-term list and reading dictionary.
func Default() (*Romanizer, error) {
	g, err := ParseGenerics(mustData("generics.tsv"))
	if err != nil {
		return nil, err
	}
	rd, err := ParseReadings(mustData("readings.tsv"))
	if err != nil {
		return nil, err
	}
	return New(g, rd)
}

func mustData(name string) []byte {
	b, err := dataFS.ReadFile("data/" + name)
	if err != nil {
		panic(err)
	}
	return b
}

// tsvRows returns the tab-separated fields of each non-blank, non-comment (#) line, with its 1-based line number.
func tsvRows(data []byte, minFields int) ([][]string, []int, error) {
	var rows [][]string
	var lines []int
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) < minFields {
			return nil, nil, fmt.Errorf("line %d: want %d tab-separated fields, got %d", n, minFields, len(f))
		}
		rows, lines = append(rows, f), append(lines, n)
	}
	return rows, lines, sc.Err()
}

// ParseGenerics reads a generic-term list: lines "term<TAB>pinyin<TAB>class", # comments. Entries are checked by New.
func ParseGenerics(data []byte) ([]Generic, error) {
	rows, _, err := tsvRows(data, 3)
	if err != nil {
		return nil, fmt.Errorf("generic terms: %w", err)
	}
	out := make([]Generic, len(rows))
	for i, f := range rows {
		out[i] = Generic{Term: strings.TrimSpace(f[0]), Pinyin: strings.TrimSpace(f[1]), Class: strings.TrimSpace(f[2])}
	}
	return out, nil
}

// ParseReadings reads a reading dictionary: lines "word<TAB>pinyin[<TAB>note]", # comments. Entries are checked by New.
func ParseReadings(data []byte) ([]Reading, error) {
	rows, _, err := tsvRows(data, 2)
	if err != nil {
		return nil, fmt.Errorf("readings: %w", err)
	}
	out := make([]Reading, len(rows))
	for i, f := range rows {
		out[i] = Reading{Word: strings.TrimSpace(f[0]), Pinyin: strings.TrimSpace(f[1])}
		if len(f) > 2 {
			out[i].Note = strings.TrimSpace(f[2])
		}
	}
	return out, nil
}
