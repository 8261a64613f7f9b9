using System.Text.RegularExpressions;
using TestSupport;

namespace EndToEnd.Tests.Docs;

/// <summary>
/// Comments and docs cite the Supabase wire contract as <c>docs/supabase-contract.md</c> plus a section sign and number;
/// every citation must name a section that exists, so a reader following one never lands nowhere.
/// </summary>
public sealed partial class ContractReferenceTests
{
    private const string ContractDoc = "docs/supabase-contract.md";
    private static readonly string[] Scanned = [".cs", ".md", ".js", ".mjs", ".sql", ".sh", ".cshtml"];
    private static readonly string[] Skipped = ["bin", "obj", "node_modules", ".git", "artifacts", "results"];

    [Fact]
    public void Every_cited_section_of_the_contract_doc_exists_and_has_its_anchor()
    {
        var doc = File.ReadAllLines(Path.Combine(RepoPaths.Root, ContractDoc));
        var sections = doc.Select(line => Heading().Match(line)).Where(m => m.Success).Select(m => m.Groups["number"].Value).ToHashSet();
        Assert.Contains("0", sections);
        Assert.All(sections, number => Assert.Contains($"<a id=\"s{number.Replace('.', '-')}\"></a>", doc));

        var citations = Lines().Where(l => l.Text.Contains(ContractDoc, StringComparison.Ordinal))
            .SelectMany(l => Section().Matches(l.Text).Select(m => (l.Where, Number: m.Groups["number"].Value.TrimEnd('.'))))
            .ToList();
        Assert.NotEmpty(citations);
        Assert.All(citations, c => Assert.True(sections.Contains(c.Number), $"{c.Where} cites {ContractDoc} \u00A7{c.Number}, which has no heading"));
    }

    [Fact]
    public void No_comment_cites_a_contract_section_without_naming_the_doc()
    {
        var unresolved = Lines()
            .Where(l => Section().IsMatch(l.Text) && !l.Text.Contains(ContractDoc, StringComparison.Ordinal))
            // Markdown may cite sections of other repository documents; code may not cite bare section numbers.
            .Where(l => !l.Where.Contains(".md:", StringComparison.Ordinal) || l.Text.Contains("contract", StringComparison.OrdinalIgnoreCase))
            .Select(l => l.Where)
            .ToList();
        Assert.True(unresolved.Count == 0, "section numbers cited without " + ContractDoc + ":" + Environment.NewLine + string.Join(Environment.NewLine, unresolved));
    }

    private static IEnumerable<(string Where, string Text)> Lines()
    {
        var root = RepoPaths.Root;
        var files = Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true })
            .Where(f => Scanned.Contains(Path.GetExtension(f)))
            .Where(f => !Path.GetRelativePath(root, f).Split(Path.DirectorySeparatorChar).Any(Skipped.Contains))
            .Where(f => Path.GetRelativePath(root, f) != ContractDoc);
        foreach (var file in files)
        {
            var number = 0;
            foreach (var line in File.ReadLines(file))
            {
                number++;
                yield return ($"{Path.GetRelativePath(root, file)}:{number}", line);
            }
        }
    }

    [GeneratedRegex(@"^#{2,3} (?<number>\d+(\.\d+)?)\.? ")]
    private static partial Regex Heading();

    [GeneratedRegex(@"\u00A7\s?(?<number>\d+(\.\d+)*)")]
    private static partial Regex Section();
}
