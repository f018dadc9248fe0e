using System.Text.RegularExpressions;
using WechatGateway.Wechat.Messages;

namespace WechatGateway.Replies;

/// <summary>An auto-reply rule as ops write it (docs/CONTRACT.md §6) and as the API returns it.</summary>
/// <param name="Match"><c>exact</c>, <c>contains</c>, <c>regex</c> (on a text message), <c>event</c> (on <paramref name="Event"/>),
/// or <c>default</c> (any message of the account no other rule answered).</param>
/// <param name="Event">For event rules: subscribe, scan, click, location, view (WeChat's names, any case).</param>
/// <param name="EventKey">For event rules: the QR scene of a follow or scan, or the key of a menu click; null matches any.</param>
/// <param name="Reply">The reply, inline; or <paramref name="TemplateId"/>, a saved template.</param>
/// <param name="Action"><c>reply</c> (the default: send the reply) or <c>steer</c>: steer the member to the best group and
/// send the invitation (Groups/GroupPushHandler); a steer rule matches a text or a menu click, and its reply, optional,
/// is a text template for the invitation's intro that can read <c>group.name</c>, <c>group.store</c>, <c>group.reason</c>.</param>
/// <param name="Tags">Tags put on the member whose push the rule answers (the consumer profile: Profile/ProfilePushHandler).</param>
public sealed record AutoReplyRequest(
    string? AppId,
    string? Name,
    string? Match,
    IReadOnlyList<string>? Keywords,
    string? Event,
    string? EventKey,
    int? Priority,
    bool? Enabled,
    DateTime? ValidFrom,
    DateTime? ValidUntil,
    ReplyBody? Reply,
    ulong? TemplateId,
    string? Action = null,
    IReadOnlyList<string>? Tags = null);

public sealed record AutoReplyView(
    ulong Id, string? AppId, string Name, string Match, IReadOnlyList<string> Keywords, string? Event, string? EventKey, int Priority,
    bool Enabled, DateTime? ValidFrom, DateTime? ValidUntil, ReplyBody? Reply, ulong? TemplateId, DateTime CreatedAt, DateTime UpdatedAt,
    string Action = AutoReplyRule.ReplyAction,
    IReadOnlyList<string>? Tags = null);

/// <summary>A rule checked and compiled once: its regex built with a timeout, its reply parsed.</summary>
public sealed class AutoReplyRule
{
    public const string Exact = "exact";
    public const string Contains = "contains";
    public const string RegexMatch = "regex";
    public const string EventMatch = "event";
    public const string Default = "default";

    public static readonly string[] MatchKinds = [Exact, Contains, RegexMatch, EventMatch, Default];

    public static readonly string[] Events = ["subscribe", "scan", "click", "view", "location"];

    /// <summary>Send the rule's reply.</summary>
    public const string ReplyAction = "reply";

    /// <summary>Steer the member to a group and send the invitation, the rule's reply (if any) as its intro.</summary>
    public const string SteerAction = "steer";

    public static readonly string[] Actions = [ReplyAction, SteerAction];

    public const int MaxTags = 20;

    /// <summary>A follower's text is matched in well under this; a pattern that would take longer fails the match, not the push.</summary>
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(50);

    private readonly Regex[] _patterns;

    private AutoReplyRule(AutoReplyView view, CompiledReply? reply)
    {
        View = view;
        Reply = reply;
        _patterns = view.Match == RegexMatch ? view.Keywords.Select(Compile).ToArray() : [];
    }

    public AutoReplyView View { get; }

    /// <summary>The reply; null only for a steer rule without an intro of its own.</summary>
    public CompiledReply? Reply { get; }

    /// <summary>A rule that steers to a group (the groups handler acts on it; the reply paths leave it alone).</summary>
    public bool IsSteer => View.Action == SteerAction;

    /// <summary>Checks a rule as saved; <paramref name="reply"/> is its own or its template's compiled reply.</summary>
    /// <exception cref="ReplyValidationException">The rule is not one the gateway can run.</exception>
    /// <summary>
    /// The order rules are tried in: highest priority first; at equal priority, a rule of the account before one for all
    /// accounts; then the older rule. <c>default</c> rules come after every other rule, in the same order among
    /// themselves: they answer only what nothing else did.
    /// </summary>
    public static int TrialOrder(AutoReplyView a, AutoReplyView b) =>
        (a.Match == Default ? 1 : 0, -a.Priority, a.AppId is null ? 1 : 0, a.Id).CompareTo((b.Match == Default ? 1 : 0, -b.Priority, b.AppId is null ? 1 : 0, b.Id));

    public static AutoReplyRule Create(AutoReplyView view, CompiledReply? reply)
    {
        if (string.IsNullOrWhiteSpace(view.Name) || view.Name.Length > 100)
        {
            throw new ReplyValidationException("name", "name is required, at most 100 characters");
        }

        if (!MatchKinds.Contains(view.Match))
        {
            throw new ReplyValidationException("match", $"match must be one of {string.Join(", ", MatchKinds)}");
        }

        if (view.Match is Exact or Contains or RegexMatch && (view.Keywords.Count == 0 || view.Keywords.Any(string.IsNullOrWhiteSpace)))
        {
            throw new ReplyValidationException("keywords", $"a {view.Match} rule needs at least one non-empty keyword");
        }

        if (view.Keywords.Any(k => k.Length > 200) || view.Keywords.Count > 50)
        {
            throw new ReplyValidationException("keywords", "at most 50 keywords of at most 200 characters");
        }

        if (view.Match == EventMatch && !Events.Contains(view.Event?.ToLowerInvariant()))
        {
            throw new ReplyValidationException("event", $"an event rule names its event: {string.Join(", ", Events)}");
        }

        if (Profile.TagCatalogue.Check(view.Tags, MaxTags) is { } badTag)
        {
            throw new ReplyValidationException("tags", badTag);
        }

        if (!Actions.Contains(view.Action))
        {
            throw new ReplyValidationException("action", $"action must be one of {string.Join(", ", Actions)}");
        }

        if (view.Action == SteerAction)
        {
            if (view.Match is Default || (view.Match == EventMatch && view.Event != "click"))
            {
                throw new ReplyValidationException("match", "a steer rule matches a text (exact, contains, regex) or a menu click (event click)");
            }

            if (reply is not null && reply.Body.Type != ReplyBody.Text)
            {
                throw new ReplyValidationException("reply", "a steer rule's reply is the invitation's intro: a text reply, or none");
            }
        }
        else if (reply is null)
        {
            throw new ReplyValidationException("reply", "give either reply or templateId");
        }

        if (view.ValidFrom is { } from && view.ValidUntil is { } until && until <= from)
        {
            throw new ReplyValidationException("validUntil", "validUntil must be after validFrom");
        }

        return new AutoReplyRule(view, reply);
    }

    /// <summary>Whether this rule answers <paramref name="push"/> at <paramref name="now"/> (the default rule is the caller's last resort).</summary>
    public bool Matches(WechatPush push, string appId, DateTime now)
    {
        var rule = View;
        if (!rule.Enabled || (rule.AppId is not null && rule.AppId != appId) || rule.ValidFrom > now || rule.ValidUntil <= now)
        {
            return false;
        }

        return (rule.Match, push) switch
        {
            (Exact, TextMessage text) => rule.Keywords.Any(k => string.Equals(text.Content.Trim(), k.Trim(), StringComparison.OrdinalIgnoreCase)),
            (Contains, TextMessage text) => rule.Keywords.Any(k => text.Content.Contains(k, StringComparison.OrdinalIgnoreCase)),
            (RegexMatch, TextMessage text) => _patterns.Any(p => IsMatch(p, text.Content)),
            (EventMatch, WechatEvent evt) => string.Equals(evt.Event, rule.Event, StringComparison.OrdinalIgnoreCase) && KeyMatches(evt),
            (Default, WechatMessage) => true,
            _ => false,
        };
    }

    private bool KeyMatches(WechatEvent evt) => View.EventKey is not { } key || key == evt switch
    {
        SubscribeEvent follow => follow.Scene,
        ScanEvent scan => scan.Scene,
        _ => evt.EventKey,
    };

    private static bool IsMatch(Regex pattern, string text)
    {
        try
        {
            return pattern.IsMatch(text);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }

    /// <summary>
    /// Non-backtracking: its time is linear in the text, so <c>(a+)+$</c> cannot hang a worker; constructs that need
    /// backtracking (back-references, look-arounds) are refused at save time with the reason.
    /// </summary>
    private static Regex Compile(string pattern)
    {
        try
        {
            return new Regex(pattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant | RegexOptions.IgnoreCase, RegexTimeout);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            throw new ReplyValidationException("keywords", $"\"{pattern}\" is not a usable pattern: {e.Message}");
        }
    }
}
