package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/gorilla/mux"

	"civmap/data"
	"civmap/gazetteer/names"
	"civmap/gazetteer/names/book"
)

// cmdExport runs `civmap export gazetteer`: the draft county gazetteer (地名志) from the store, as HTML (default), PDF
// (Chromium), DOCX or JSON, to -o FILE or standard output.
func cmdExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "gazetteer" {
		fmt.Fprintln(stderr, "Usage: civmap export gazetteer [--format html|pdf|docx|json] [-o FILE] [--division CODE] [--villages=false]")
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h") {
			return nil
		}
		return errUsage
	}
	fs, sf := newStoreFlagSet("export gazetteer",
		"export gazetteer [--format html|pdf|docx|json] [-o FILE] [--division CODE] [--villages=false]", stderr)
	format := fs.String("format", "html", "html (printable, with table of contents and pinyin index), pdf (needs chromium), docx or json")
	out := fs.String("o", "", "output file (default: standard output)")
	division := fs.String("division", "", "one township code (default: the whole county)")
	villages := fs.Bool("villages", true, "list the village-level units (村、社区) as entries too")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if _, ok := book.Formats[*format]; !ok {
		fmt.Fprintf(stderr, "civmap export gazetteer: --format %q: use html, pdf, docx or json\n", *format)
		return errUsage
	}
	st, _, err := sf.openMode(ctx, true)
	if err != nil {
		return err
	}
	defer st.Close()
	rom, err := names.Default()
	if err != nil {
		return err
	}
	b, err := book.Compile(ctx, st, rom, book.Options{Township: *division, Villages: *villages})
	if err != nil {
		return err
	}
	w := stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriter(w)
	switch *format {
	case "html":
		err = b.WriteHTML(bw)
	case "pdf":
		err = b.WritePDF(ctx, bw)
	case "docx":
		err = b.WriteDOCX(bw)
	case "json":
		err = b.WriteJSON(bw)
	}
	if err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if f, ok := w.(*os.File); ok && *out != "" {
		if err := f.Close(); err != nil {
			return err
		}
		n := 0
		for _, t := range b.Townships {
			for _, c := range t.Categories {
				n += len(c.Entries)
			}
		}
		fmt.Fprintf(stderr, "wrote %s: %d townships, %d entries\n", *out, len(b.Townships), n)
	}
	return nil
}

// gazetteerRoutes registers GET /api/gazetteer (book.Routes) over st.
func gazetteerRoutes(r *mux.Router, st data.Store) error {
	rom, err := names.Default()
	if err != nil {
		return err
	}
	book.Routes(r, st, rom)
	return nil
}
