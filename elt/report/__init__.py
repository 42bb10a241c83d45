"""What the user sees and what a command leaves behind: lines on the terminal (console) and files under
target/ (artifacts)."""
