"""Pure text utilities (no Qt, no torch): counts, chunking, prose checks, style metrics."""
