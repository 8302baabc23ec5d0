// Show and hide questionnaire questions as the vendor answers.
//
// The server evaluates every condition again when the answers are saved, so this script is a
// convenience: without it every question shows and the server still applies the rules.
// Conditions arrive as the JSON trees riskapp.questionnaires.conditions.to_json makes:
// ["==", ["name", "mfa"], ["lit", "yes"]]. Nothing here builds code from text.
(() => {
  "use strict";

  const form = document.querySelector("form[data-questionnaire]");
  if (!form) {
    return;
  }

  const present = (value) =>
    value !== null && value !== undefined && value !== "" && !(Array.isArray(value) && value.length === 0);

  // The answer a question's inputs hold: a choice id, a list, a number or text.
  function valueOf(container) {
    const name = container.dataset.question;
    const type = container.dataset.type;
    const inputs = [...form.querySelectorAll(`[name="${CSS.escape(name)}"]`)];
    if (type === "group") {
      return rowsOf(container);
    }
    if (inputs.length === 0) {
      return null;
    }
    if (inputs[0].type === "radio") {
      const checked = inputs.find((input) => input.checked);
      return checked ? checked.value : null;
    }
    if (inputs[0].type === "checkbox") {
      const values = inputs.filter((input) => input.checked).map((input) => input.value);
      return values.length ? values : null;
    }
    if (inputs[0].tagName === "SELECT" && inputs[0].multiple) {
      const values = [...inputs[0].selectedOptions].map((option) => option.value);
      return values.length ? values : null;
    }
    const text = inputs[0].value.trim();
    if (!text) {
      return null;
    }
    if (type === "number") {
      const number = Number(text);
      return Number.isFinite(number) ? number : null;
    }
    return text;
  }

  function rowsOf(container) {
    return [...container.querySelectorAll("[data-row]")].map((row) => {
      const values = {};
      row.querySelectorAll("input, select, textarea").forEach((input) => {
        const field = input.name.split("-").pop();
        if (input.type === "radio" && !input.checked) {
          return;
        }
        const value = input.value.trim();
        if (value) {
          values[field] = input.type === "number" ? Number(value) : value;
        }
      });
      return values;
    }).filter((row) => Object.keys(row).length > 0);
  }

  const ordered = (compare) => (left, right) => {
    const numbers = typeof left === "number" && typeof right === "number";
    const texts = typeof left === "string" && typeof right === "string";
    return (numbers || texts) && compare(left, right);
  };
  const contains = (left, right) => Array.isArray(right) && present(left) && right.includes(left);
  const same = (left, right) => JSON.stringify(left ?? null) === JSON.stringify(right ?? null);
  const operators = {
    "==": same,
    "!=": (left, right) => !same(left, right),
    "<": ordered((a, b) => a < b),
    "<=": ordered((a, b) => a <= b),
    ">": ordered((a, b) => a > b),
    ">=": ordered((a, b) => a >= b),
    "in": contains,
    "not in": (left, right) => !contains(left, right),
  };

  function evaluate(node, env) {
    const [op, ...args] = node;
    switch (op) {
      case "lit": return args[0];
      case "name": return env[args[0]] ?? null;
      case "list": return args.map((item) => evaluate(item, env));
      case "not": return evaluate(args[0], env) !== true;
      case "and": return args.every((arg) => evaluate(arg, env) === true);
      case "or": return args.some((arg) => evaluate(arg, env) === true);
      case "answered": return present(env[args[0][1]]);
      case "count": {
        const rows = Array.isArray(env[args[0][1]]) ? env[args[0][1]] : [];
        if (args.length === 1) {
          return rows.length;
        }
        return rows.filter((row) => evaluate(args[1], { ...env, ...row }) === true).length;
      }
      default:
        if (op in operators) {
          return operators[op](evaluate(args[0], env), evaluate(args[1], env));
        }
        return false;
    }
  }

  const holds = (json, env) => !json || evaluate(JSON.parse(json), env) === true;

  // Walk the questions in order, as the server does: a hidden question's answer is not seen.
  function refresh() {
    const env = {};
    form.querySelectorAll("[data-section]").forEach((section) => {
      const sectionShown = holds(section.dataset.showIf, env);
      section.hidden = !sectionShown;
      section.querySelectorAll("[data-question]").forEach((question) => {
        const shown = sectionShown && holds(question.dataset.showIf, env);
        question.hidden = !shown;
        question.querySelectorAll("[data-choice-show-if]").forEach((choice) => {
          choice.hidden = !holds(choice.dataset.choiceShowIf, env);
        });
        const notApplicable = question.querySelector("[data-not-applicable]");
        const value = valueOf(question);
        if (shown && present(value) && !(notApplicable && notApplicable.checked)) {
          env[question.dataset.question] = value;
        }
      });
    });
  }

  form.addEventListener("input", refresh);
  form.addEventListener("change", refresh);
  refresh();
})();
