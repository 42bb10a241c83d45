"""Documentation outputs: the model graph as text (Mermaid, Graphviz dot, JSON)."""
