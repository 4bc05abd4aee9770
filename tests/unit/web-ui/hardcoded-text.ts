import ts from 'typescript';

/**
 * Finds words written straight into a page instead of through the catalogue: letters (Latin or Chinese) in
 * a literal that reaches the screen: h()'s children, note()'s text, facts()' labels, textContent, title,
 * placeholder, aria-label and alt attributes, confirm()/alert(). Values that come from data or from t() are
 * expressions, not literals, and pass.
 */
export interface Hardcoded {
  line: number;
  text: string;
}

const LETTER = /\p{L}/u;
const SHOWN_ATTRS = new Set(['title', 'placeholder', 'aria-label', 'alt', 'aria-description']);
const SHOWN_PROPS = new Set(['textContent', 'title', 'placeholder', 'innerText', 'ariaLabel']);

export function hardcodedText(source: string, fileName = 'page.ts'): Hardcoded[] {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const found: Hardcoded[] = [];
  const report = (node: ts.Node, text: string) => found.push({ line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1, text });

  /** Literal text in an expression that is shown as it is (not inside a call: a call is t() or data). */
  const shown = (e: ts.Expression | undefined): void => {
    if (!e) return;
    if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) {
      if (LETTER.test(e.text)) report(e, e.text);
    } else if (ts.isTemplateExpression(e)) {
      const parts = [e.head.text, ...e.templateSpans.map((s) => s.literal.text)].join('');
      if (LETTER.test(parts)) report(e, e.getText(sf));
    } else if (ts.isConditionalExpression(e)) {
      shown(e.whenTrue);
      shown(e.whenFalse);
    } else if (ts.isBinaryExpression(e) && [ts.SyntaxKind.BarBarToken, ts.SyntaxKind.QuestionQuestionToken, ts.SyntaxKind.PlusToken, ts.SyntaxKind.AmpersandAmpersandToken].includes(e.operatorToken.kind)) {
      shown(e.left);
      shown(e.right);
    } else if (ts.isParenthesizedExpression(e) || ts.isAsExpression(e)) shown(e.expression);
    else if (ts.isArrayLiteralExpression(e)) for (const x of e.elements) shown(x as ts.Expression);
  };

  const attrs = (e: ts.Expression | undefined) => {
    if (!e || !ts.isObjectLiteralExpression(e)) return;
    for (const p of e.properties) {
      if (!ts.isPropertyAssignment(p)) continue;
      const name = ts.isIdentifier(p.name) || ts.isStringLiteral(p.name) ? p.name.text : '';
      if (SHOWN_ATTRS.has(name)) shown(p.initializer);
    }
  };

  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression)) {
      const fn = node.expression.text;
      const args = node.arguments;
      if (fn === 'h') {
        attrs(args[1]);
        for (const a of args.slice(2)) shown(a);
      } else if (fn === 'note' || fn === 'append' || fn === 'replace') for (const a of args.slice(1)) shown(a);
      else if (fn === 'confirm' || fn === 'alert') shown(args[0]);
      else if (fn === 'facts' && args[0] && ts.isArrayLiteralExpression(args[0])) {
        for (const pair of args[0].elements) if (ts.isArrayLiteralExpression(pair)) for (const x of pair.elements) shown(x as ts.Expression);
      }
    }
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isPropertyAccessExpression(node.left)) {
      if (SHOWN_PROPS.has(node.left.name.text)) shown(node.right);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}
