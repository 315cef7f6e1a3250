"""Host statistics read with psutil."""
