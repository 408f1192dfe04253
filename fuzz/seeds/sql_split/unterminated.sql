SELECT 'unterminated string
; $tag$ never closed
/* and an open comment
