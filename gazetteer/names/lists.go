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

// Word is one entry of a word list: the word (or one character), a note, and for the traditional-character list the
// simplified form as Suggestion.
type Word struct {
	Word       string `json:"word"`
	Note       string `json:"note,omitempty"`
	Suggestion string `json:"suggestion,omitempty"`
}

// ParseWords reads a word list: lines "word[<TAB>note]", # comments. When suggest is set the second field is the
// Suggestion instead of the note (the traditional-character list).
func ParseWords(data []byte, suggest bool) ([]Word, error) {
	rows, _, err := tsvRows(data, 1)
	if err != nil {
		return nil, err
	}
	out := make([]Word, len(rows))
	for i, f := range rows {
		out[i].Word = strings.TrimSpace(f[0])
		if len(f) > 1 {
			if suggest {
				out[i].Suggestion = strings.TrimSpace(f[1])
			} else {
				out[i].Note = strings.TrimSpace(f[1])
			}
		}
	}
	return out, nil
}

// The lists the office edits (PUT /api/names/lists/{list}); each is stored as a document of KindLists with that id.
const (
	ListGenerics    = "generics"          // 通名 list ([]Generic)
	ListReadings    = "readings"          // county reading dictionary ([]Reading)
	ListDa          = "da"                // 大 words ([]Word)
	ListYang        = "yang"              // 洋 words
	ListGuai        = "guai"              // 怪 words
	ListLocalChars  = "local-chars"       // characters outside GB 2312 that are not 生僻字 here (one character each)
	ListTraditional = "traditional-chars" // traditional character → simplified (Suggestion)
)

// ListNames lists the editable lists in API order.
var ListNames = []string{ListGenerics, ListReadings, ListDa, ListYang, ListGuai, ListLocalChars, ListTraditional}

// Lists holds every data list the rules use.
type Lists struct {
	Generics    []Generic `json:"generics"`
	Readings    []Reading `json:"readings"`
	Da          []Word    `json:"da"`
	Yang        []Word    `json:"yang"`
	Guai        []Word    `json:"guai"`
	LocalChars  []Word    `json:"local-chars"`
	Traditional []Word    `json:"traditional-chars"`
}

// DefaultLists returns the embedded lists (gazetteer/names/data/*.tsv).
func DefaultLists() Lists {
	words := func(name string, suggest bool) []Word {
		w, err := ParseWords(mustData(name), suggest)
		if err != nil {
			panic(err) // the embedded files are checked by the tests
		}
		return w
	}
	return Lists{
		Generics: DefaultGenerics(), Readings: DefaultReadings(),
		Da: words("words_da.tsv", false), Yang: words("words_yang.tsv", false), Guai: words("words_guai.tsv", false),
		LocalChars: words("chars_local.tsv", false), Traditional: words("chars_traditional.tsv", true),
	}
}
