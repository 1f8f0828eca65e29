"""Result documents (kết quả giải quyết): returned by the back office, signed by the agency."""
