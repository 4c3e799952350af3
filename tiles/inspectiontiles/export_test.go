package inspectiontiles

import "context"

// Build gets round id's features through m, as a tile request does.
func Build(m *Memo, id string) error {
	_, err := m.layers(context.Background(), id)
	return err
}
