import { readFile } from 'node:fs/promises';

/** The first ```lang block under `heading` in a markdown file. */
export async function readmeBlock(readmePath: string, heading: string, lang = 'ts'): Promise<string> {
  const markdown = await readFile(readmePath, 'utf8');
  const at = markdown.indexOf(heading);
  if (at < 0) throw new Error(`no "${heading}" in ${readmePath}`);
  const match = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(markdown.slice(at));
  if (match?.[1] === undefined) throw new Error(`no \`\`\`${lang} block under ${heading} in ${readmePath}`);
  return match[1];
}
