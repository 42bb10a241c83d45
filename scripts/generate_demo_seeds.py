#!/usr/bin/env python3
"""Generate the demo project's seed CSVs (seeds/*.csv): a small school with realistic messiness.

Deterministic: one `random.Random(SEED)`, no clock, no environment, stdlib only; running it twice
writes byte-identical files, so the committed CSVs can be checked with `git diff --exit-code seeds`.

    python scripts/generate_demo_seeds.py            # writes seeds/ next to this script's parent
    python scripts/generate_demo_seeds.py --out DIR  # writes DIR/*.csv instead

What the staging models have to clean (on purpose):
- students: e-mails in mixed case, with stray spaces, or missing; names with trailing spaces; a few
  students exported twice (the copies differ only in e-mail case/whitespace).
- courses: course codes in mixed case with spaces; catalog numbers that look like integers but are codes.
- enrollments: status and term in mixed case with stray spaces; about one in ten is dropped.
- exam_scores: scores are integer points out of the course's max_score; some are missing (NULL),
  some out of range (negative, above max_score, or the 999 "not graded" sentinel); some exams were
  re-sent later with the same exam_id (latest `recorded_at` wins, sometimes with a corrected score);
  exam_type in mixed case; a few rows reference enrollments that do not exist.
- students_autumn: the registrar's next export (September), for the demo snapshot: the spring export
  with a few students moved (new city and postal code), a few new e-mails, scholarships granted or
  ended, two students gone, three new ones; a changed student's copies change together.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
from pathlib import Path

SEED = 20240901
N_STUDENTS = 200

FIRST_NAMES = [
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Elijah", "Sophia", "James", "Isabella", "William",
    "Mia", "Benjamin", "Charlotte", "Lucas", "Amelia", "Henry", "Harper", "Alexander", "Evelyn",
    "Mason", "Abigail", "Michael", "Emily", "Ethan", "Ella", "Daniel", "Elizabeth", "Jacob", "Sofia",
    "Logan", "Avery", "Jackson", "Scarlett", "Sebastian", "Grace", "Aiden", "Chloe", "Matthew",
    "Victoria", "Samuel", "Riley", "David", "Aria", "Joseph", "Lily", "Carter", "Aurora", "Owen",
    "Zoey", "Wyatt", "Nora", "John", "Hannah", "Luke", "Priya", "Wei", "Fatima", "Mateo", "Aisha",
    "Hiroshi", "Ingrid", "Kwame", "Lucia", "Omar", "Yuki", "Rafael", "Anika", "Tomas", "Leila",
]
LAST_NAMES = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore",
    "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez",
    "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen",
    "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell",
    "Carter", "Roberts", "Patel", "Kim", "Chen", "Singh", "Okafor", "Novak", "Larsen", "Rossi",
    "Schmidt", "Kowalski", "Haddad", "Tanaka", "Silva", "OBrien",
]
# (city, postal codes): several start with 0, which is why postal_code is typed string in seeds.yml.
CITIES = [
    ("Boston", ["02108", "02115", "02134"]),
    ("Cambridge", ["02138", "02139"]),
    ("Providence", ["02903", "02906"]),
    ("Hartford", ["06103", "06106"]),
    ("New York", ["10001", "10025"]),
    ("Philadelphia", ["19104", "19143"]),
    ("Chicago", ["60614", "60637"]),
    ("Austin", ["73301", "78705"]),
    ("Denver", ["80203", "80218"]),
    ("Seattle", ["98105", "98122"]),
]

# course_id, code as exported (messy), catalog number, title, department, credits, max_score, difficulty
COURSES = [
    (1, "MATH-101", "101", "Calculus I", "Mathematics", 4, 100, 4),
    (2, " math-201", "201", "Linear Algebra", "Mathematics", 3, 100, 7),
    (3, "STAT-110", "110", "Introduction to Statistics", "Mathematics", 3, 20, 1),
    (4, "PHYS-101", "101", "Classical Mechanics", "Sciences", 4, 100, 6),
    (5, "Phys-205 ", "205", "Electromagnetism", "Sciences", 4, 50, 9),
    (6, "CHEM-101", "101", "General Chemistry", "Sciences", 4, 100, 3),
    (7, "CS-101", "101", "Programming Fundamentals", "Computer Science", 4, 100, -3),
    (8, "cs-240", "240", "Data Structures", "Computer Science", 4, 100, 5),
    (9, "HIST-105", "105", "World History", "Humanities", 3, 20, -2),
    (10, "LIT-210", "210", "Modern Literature", "Humanities", 3, 20, 0),
    (11, "PHIL 130", "130", "Introduction to Ethics", "Humanities", 3, 25, -1),
    (12, "ECON-101", "101", "Principles of Economics", "Economics", 3, 50, 2),
]

# term -> (enrolment window start/end, exam dates as (exam_type, month, day) in the term)
TERMS = {
    "2024-spring": (dt.date(2023, 12, 1), dt.date(2024, 1, 12),
                    [("quiz", 2, 9), ("midterm", 3, 14), ("quiz", 4, 11), ("final", 5, 16)]),
    "2024-summer": (dt.date(2024, 5, 13), dt.date(2024, 6, 3),
                    [("quiz", 6, 20), ("midterm", 7, 11), ("final", 8, 8)]),
    "2024-fall": (dt.date(2024, 8, 1), dt.date(2024, 9, 2),
                  [("quiz", 9, 26), ("midterm", 10, 24), ("quiz", 11, 14), ("final", 12, 12)]),
}


def fmt_ts(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S")


def random_date(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randint(0, (end - start).days))


def random_time(rng: random.Random, day: dt.date, first_hour: int = 8, last_hour: int = 18) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, rng.randint(first_hour, last_hour - 1),
                       rng.randint(0, 59), rng.randint(0, 59))


def messy_case(rng: random.Random, text: str, p_upper: float, p_title: float, p_space: float) -> str:
    roll = rng.random()
    if roll < p_upper:
        text = text.upper()
    elif roll < p_upper + p_title:
        text = text.title()
    if rng.random() < p_space:
        text = rng.choice([" " + text, text + " ", "  " + text + " "])
    return text


def make_students(rng: random.Random) -> tuple[list[list[str]], dict[int, float]]:
    rows: list[list[str]] = []
    ability: dict[int, float] = {}
    used_emails: set[str] = set()
    for index in range(N_STUDENTS):
        student_id = 1001 + index
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        local = f"{first}.{last}".lower()
        email = f"{local}@students.example.edu"
        suffix = 2
        while email in used_emails:
            email = f"{local}{suffix}@students.example.edu"
            suffix += 1
        used_emails.add(email)
        roll = rng.random()
        email = "" if roll < 0.03 else messy_case(rng, email, 0.06, 0.06, 0.06)
        if rng.random() < 0.04:
            last += " "
        birth = random_date(rng, dt.date(1999, 1, 1), dt.date(2006, 8, 31))
        enrolled_on = random_date(rng, dt.date(2020, 8, 17), dt.date(2024, 1, 8))
        city, codes = rng.choice(CITIES)
        rows.append([str(student_id), first, last, email, birth.isoformat(), enrolled_on.isoformat(), city,
                     rng.choice(codes), "true" if rng.random() < 0.3 else "false"])
        ability[student_id] = rng.gauss(75, 10)
    # The registrar export repeats a few students; the copies differ only in e-mail case/whitespace.
    for original in rng.sample(rows, 3):
        copy = list(original)
        copy[3] = (" " + copy[3].upper()) if copy[3] else ""
        rows.insert(rows.index(original) + 1, copy)
    header = ["student_id", "first_name", "last_name", "email", "birth_date", "enrolled_on", "home_city",
              "postal_code", "has_scholarship"]
    return [header, *rows], ability


def make_students_autumn(rng: random.Random, students: list[list[str]]) -> list[list[str]]:
    """The spring export as the registrar sends it again in September (see the module docstring)."""
    header, *rows = students
    ids = sorted({row[0] for row in rows})
    moved, emailed, scholarship, gone = (set(group) for group in _groups(rng, ids, (8, 4, 5, 2)))
    autumn: list[list[str]] = []
    for row in rows:
        student_id = row[0]
        if student_id in gone:
            continue
        row = list(row)
        if student_id in moved:
            city, codes = CITIES[(CITIES.index(next(c for c in CITIES if c[0] == row[6].strip())) + 3) % len(CITIES)]
            row[6], row[7] = city, codes[int(student_id) % len(codes)]
        if student_id in emailed:
            first, last = row[1].strip().lower(), row[2].strip().lower()
            row[3] = f"{first[0]}.{last}.{student_id}@alumni.example.edu"
        if student_id in scholarship:
            row[8] = "false" if row[8] == "true" else "true"
        autumn.append(row)
    for index in range(3):  # admitted for the autumn term
        student_id = 1001 + N_STUDENTS + index
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        birth = random_date(rng, dt.date(2005, 1, 1), dt.date(2006, 8, 31))
        city, codes = rng.choice(CITIES)
        autumn.append([str(student_id), first, last, f"{first}.{last}{student_id}@students.example.edu".lower(),
                       birth.isoformat(), "2024-08-19", city, rng.choice(codes), "false"])
    return [header, *autumn]


def _groups(rng: random.Random, ids: list[str], sizes: tuple[int, ...]) -> list[list[str]]:
    """Disjoint random groups of `ids` of the given sizes."""
    chosen = rng.sample(ids, sum(sizes))
    groups, start = [], 0
    for size in sizes:
        groups.append(chosen[start:start + size])
        start += size
    return groups


def make_courses() -> list[list[str]]:
    header = ["course_id", "course_code", "catalog_number", "title", "department", "credits", "max_score"]
    return [header, *[[str(c[0]), c[1], c[2], c[3], c[4], str(c[5]), str(c[6])] for c in COURSES]]


def make_enrollments(rng: random.Random) -> list[list[str]]:
    planned: list[tuple[dt.datetime, int, int, str, str]] = []
    course_ids = [c[0] for c in COURSES]
    for student_id in range(1001, 1001 + N_STUDENTS):
        for term, (start, end, _) in TERMS.items():
            summer = term == "2024-summer"
            count = (1 if rng.random() < 0.15 else 0) if summer else rng.choice([1, 2, 2, 2, 3])
            for course_id in rng.sample(course_ids, count):
                when = random_time(rng, random_date(rng, start, end), 7, 23)
                if term == "2024-fall":
                    status = "dropped" if rng.random() < 0.08 else "active"
                else:
                    status = "dropped" if rng.random() < 0.1 else "completed"
                planned.append((when, student_id, course_id, term, status))
    planned.sort()
    rows = []
    for number, (when, student_id, course_id, term, status) in enumerate(planned):
        rows.append([str(50001 + number), str(student_id), str(course_id),
                     messy_case(rng, term, 0.0, 0.05, 0.03), fmt_ts(when),
                     messy_case(rng, status, 0.04, 0.06, 0.04)])
    header = ["enrollment_id", "student_id", "course_id", "term", "enrolled_at", "status"]
    return [header, *rows]


def make_exam_scores(rng: random.Random, enrollments: list[list[str]], ability: dict[int, float]) -> list[list[str]]:
    max_score = {c[0]: c[6] for c in COURSES}
    difficulty = {c[0]: c[7] for c in COURSES}
    records: list[list[str]] = []
    exam_id = 700001
    for enrollment_id, student_id, course_id, term, _, status in enrollments[1:]:
        term_key = term.strip().lower()
        course = int(course_id)
        exams = TERMS[term_key][2]
        if status.strip().lower() == "dropped":
            exams = exams[: rng.choice([0, 1, 1, 2])]
        form = rng.gauss(0, 5)  # how this student does in this course
        for exam_type, month, day in exams:
            exam_date = dt.date(2024, month, day)
            if rng.random() < 0.06:  # make-up exam a few days later
                exam_date += dt.timedelta(days=rng.randint(2, 9))
            noise = rng.gauss(0, 12 if exam_type == "quiz" else 9)
            pct = min(100.0, max(0.0, ability[int(student_id)] - difficulty[course] + form + noise))
            points = round(pct * max_score[course] / 100)
            roll = rng.random()
            if roll < 0.015:
                score = ""
            elif roll < 0.022:
                score = str(rng.choice([-1, 999, max_score[course] + rng.randint(1, 15)]))
            else:
                score = str(points)
            recorded = random_time(rng, exam_date + dt.timedelta(days=rng.randint(1, 5)))
            shown_type = messy_case(rng, exam_type, 0.02, 0.02, 0.01)
            records.append([str(exam_id), enrollment_id, exam_date.isoformat(), shown_type, score, fmt_ts(recorded)])
            if rng.random() < 0.025:  # re-sent later, sometimes with a corrected score
                resent = recorded + dt.timedelta(days=rng.randint(1, 4), minutes=rng.randint(1, 600))
                corrected = score
                if score != "" and rng.random() < 0.5:
                    corrected = str(min(max_score[course], max(0, points + rng.choice([-3, -2, -1, 1, 2, 3]))))
                records.append([str(exam_id), enrollment_id, exam_date.isoformat(), exam_type, corrected,
                                fmt_ts(resent)])
            exam_id += 1
    # A few scores for enrollments the enrolment system never exported.
    for number in range(6):
        exam_date = dt.date(2024, rng.choice([3, 10]), rng.randint(1, 28))
        records.append([str(exam_id), str(59990 + number), exam_date.isoformat(), "quiz",
                        str(rng.randint(20, 95)), fmt_ts(random_time(rng, exam_date + dt.timedelta(days=2)))])
        exam_id += 1
    records.sort(key=lambda r: (r[5], int(r[0])))  # the order the scores were recorded in
    header = ["exam_id", "enrollment_id", "exam_date", "exam_type", "score", "recorded_at"]
    return [header, *records]


def make_portal_events(rng: random.Random) -> list[list[str]]:
    """Two weeks of learning-portal events (the demo's partitioned incremental model reads them by day)."""
    kinds = [("login", 0.45), ("view_material", 0.35), ("submit_assignment", 0.12), ("forum_post", 0.08)]
    first = dt.date(2024, 9, 2)
    records = []
    for day in (first + dt.timedelta(days=n) for n in range(14)):
        weekend = day.weekday() >= 5
        for _ in range(rng.randint(40, 70) if weekend else rng.randint(120, 180)):
            student = 1001 + rng.randrange(N_STUDENTS)
            kind = rng.choices([k for k, _ in kinds], [w for _, w in kinds])[0]
            at = random_time(rng, day, 7, 22)
            records.append([student, kind, at])
    records.sort(key=lambda r: (r[2], r[0]))
    header = ["event_id", "student_id", "event_type", "event_time", "event_date"]
    return [header, *[[str(900001 + i), str(s), k, fmt_ts(t), t.date().isoformat()]
                      for i, (s, k, t) in enumerate(records)]]


def write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "seeds")
    args = parser.parse_args()
    rng = random.Random(SEED)
    students, ability = make_students(rng)
    courses = make_courses()
    enrollments = make_enrollments(rng)
    exam_scores = make_exam_scores(rng, enrollments, ability)
    # Its own generator, so adding it left the other files byte-identical.
    portal_events = make_portal_events(random.Random(SEED + 1))
    students_autumn = make_students_autumn(random.Random(SEED + 2), students)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, rows in (("students", students), ("courses", courses), ("enrollments", enrollments),
                       ("exam_scores", exam_scores), ("portal_events", portal_events),
                       ("students_autumn", students_autumn)):
        write_csv(args.out / f"{name}.csv", rows)
        print(f"{name}.csv: {len(rows) - 1} rows")


if __name__ == "__main__":
    main()
