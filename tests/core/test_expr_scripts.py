"""The virtual agent group script language: skills, logins, operators, references, errors."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from statserver.core.expr import ExprError, GroupScript, compile_group_script


@dataclass
class Agent:
    """Facts about one agent, as the engine would answer them."""

    skills: dict[str, int] = field(default_factory=dict)
    queues: set[str] = field(default_factory=set)
    switches: set[str] = field(default_factory=set)

    def skill_level(self, name: str) -> int | None:
        return self.skills.get(name)

    def logged_in_queue(self, queue_key: str) -> bool:
        return queue_key in self.queues

    def logged_in_switch(self, switch: str) -> bool:
        return switch in self.switches


ANNA = Agent(skills={"Billing": 3, "French": 1, "Zero": 0}, queues={"8000@SW1"}, switches={"SW1"})
SWITCHES = frozenset({"SW1", "SW2"})


def matches(text: str, agent: Agent = ANNA) -> bool:
    return compile_group_script(text, SWITCHES).matches(agent)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param('Skill("Billing") = 3', True, id="equal"),
        pytest.param('Skill("Billing") == 3', True, id="double-equal"),
        pytest.param('Skill("Billing") != 3', False, id="not-equal"),
        pytest.param('Skill("Billing") <> 2', True, id="angle-not-equal"),
        pytest.param('Skill("Billing") >= 3', True, id="at-least"),
        pytest.param('Skill("Billing") > 3', False, id="greater"),
        pytest.param('Skill("Billing") <= 2', False, id="at-most"),
        pytest.param('Skill("Billing") < 4', True, id="less"),
        pytest.param('Skill("Zero") >= 0', True, id="level-zero-is-a-skill"),
        pytest.param('Skill("Zero") > -1', True, id="negative-level"),
        pytest.param('2 < Skill("Billing")', True, id="number-on-the-left"),
        pytest.param('3 >= Skill("Billing")', True, id="number-on-the-left-at-least"),
        pytest.param('skill("Billing")>=3', True, id="function-any-case"),
        pytest.param('Skill("billing") >= 1', False, id="skill-names-are-case-sensitive"),
    ],
)
def test_skill_comparisons(text: str, expected: bool) -> None:
    """Skill("name") compares the agent's level with a whole number."""
    assert matches(text) is expected


@pytest.mark.parametrize("op", ["=", "!=", "<>", ">=", "<=", ">", "<"])
def test_absent_skill_never_compares(op: str) -> None:
    """An agent without the skill fails every comparison on it, even != ."""
    assert matches(f'Skill("Spanish") {op} 1') is False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param('SkillExists("French")', True, id="skill-exists"),
        pytest.param('SkillExists("Zero")', True, id="skill-exists-level-zero"),
        pytest.param('SkillExists("Spanish")', False, id="skill-missing"),
        pytest.param('LoggedIn("8000@SW1")', True, id="logged-in-queue"),
        pytest.param('LoggedIn("8001@SW1")', False, id="not-logged-in-queue"),
        pytest.param('LoggedIn("SW1")', True, id="logged-in-switch"),
        pytest.param('LoggedIn("SW2")', False, id="not-logged-in-switch"),
    ],
)
def test_skill_exists_and_logged_in(text: str, expected: bool) -> None:
    """SkillExists tests presence; LoggedIn tests a switch if it is one, else a queue."""
    assert matches(text) is expected


def test_logged_in_prefers_switch_names() -> None:
    """LoggedIn("X") is a switch test only when X is a known switch name."""
    agent = Agent(queues={"SW1"})  # a queue literally named like the switch
    assert compile_group_script('LoggedIn("SW1")', frozenset({"SW1"})).matches(agent) is False
    assert compile_group_script('LoggedIn("SW1")').matches(agent) is True


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param('Skill("Billing")>=3 & SkillExists("French")', True, id="and"),
        pytest.param('Skill("Billing")>=4 | SkillExists("French")', True, id="or"),
        pytest.param('~SkillExists("French")', False, id="tilde-not"),
        pytest.param('!SkillExists("Spanish")', True, id="bang-not"),
        pytest.param('not SkillExists("Spanish") and LoggedIn("SW1")', True, id="words"),
        pytest.param('~Skill("Billing") >= 3', False, id="not-covers-the-comparison"),
        pytest.param(
            'SkillExists("French") | SkillExists("French") & SkillExists("Spanish")',
            True,
            id="and-binds-tighter-than-or",
        ),
        pytest.param(
            '(SkillExists("French") | SkillExists("French")) & SkillExists("Spanish")',
            False,
            id="parentheses",
        ),
    ],
)
def test_boolean_operators(text: str, expected: bool) -> None:
    """& | ~ ! and the words and/or/not, with precedence ~ > & > |."""
    assert matches(text) is expected


def test_script_reports_what_it_depends_on() -> None:
    """skills, queues and switches list everything the script reads."""
    script = compile_group_script(
        'Skill("Billing") > 1 & (SkillExists("French") | LoggedIn("SW2")) & ~LoggedIn("9000@SW2")',
        SWITCHES,
    )
    assert isinstance(script, GroupScript)
    assert script.skills == {"Billing", "French"}
    assert script.queues == {"9000@SW2"}
    assert script.switches == {"SW2"}


def test_scripts_are_frozen_and_compare_by_text() -> None:
    """A compiled script is immutable; two compilations of one text are equal."""
    a = compile_group_script('SkillExists("x")')
    assert a == compile_group_script('SkillExists("x")')
    with pytest.raises(AttributeError):
        a.text = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "column", "problem", "expected"),
    [
        pytest.param('Skill("x")>=5)', 14, "unexpected ')'", "an operator or the end", id="paren"),
        pytest.param('Skill("x") >= ', 15, "unexpected end", "a whole number", id="no-level"),
        pytest.param('Skill("x") >= 2.5', 15, "compared to a number", "whole number", id="float"),
        pytest.param('Skill("x")', 1, "needs a comparison", "SkillExists", id="bare-skill"),
        pytest.param("Skill(x) > 1", 7, "must be quoted", '"name"', id="unquoted"),
        pytest.param('Skils("x") > 1', 1, "only skill levels", 'Skill("name")', id="typo-compared"),
        pytest.param('Skils("x")', 1, "unknown function 'Skils'", "Skill, SkillExists", id="typo"),
        pytest.param('SkillExists("a", "b")', 1, "takes 1 argument, got 2", "", id="arity"),
        pytest.param('Skill("a") + 1 > 2', 12, "'+' is not available", ">=", id="arithmetic"),
        pytest.param('1 < Skill("a") < 3', 16, "cannot be chained", "'&' or '|'", id="chain"),
        pytest.param('SkillExists("a") &', 19, "unexpected end", "LoggedIn", id="dangling-and"),
        pytest.param('SkillExists("a" "b")', 17, 'unexpected string "b"', "',' or ')'", id="args"),
        pytest.param("Agent = 5", 1, "only skill levels", "", id="name"),
    ],
)
def test_errors_name_the_problem_column_and_what_is_accepted(
    text: str, column: int, problem: str, expected: str
) -> None:
    """Every malformed script raises ExprError with the column and what is accepted."""
    with pytest.raises(ExprError) as info:
        compile_group_script(text)
    err = info.value
    assert err.column == column
    assert problem in err.problem
    assert expected in err.expected
    assert str(err).startswith(f"{err.problem} at column {column} in {text!r}")


def test_error_message_shape() -> None:
    """The message reads: problem, column, text, what is accepted."""
    with pytest.raises(ExprError) as info:
        compile_group_script('Skill("x")>=5)')
    assert str(info.value) == (
        "unexpected ')' at column 14 in 'Skill(\"x\")>=5)'; expected an operator or the end"
    )
