using StackExchange.Redis;
using WechatGateway.Storage;
using WechatGateway.Wechat.Messages;

namespace WechatGateway.Replies;

/// <summary>
/// The auto-reply rules and templates, compiled and held in memory, so matching a push costs no query. Every instance
/// reloads when the configuration changes: at once when an admin write on any instance publishes on Redis, and within
/// <see cref="PollInterval"/> from <c>config_version</c> when Redis is down or the message was missed.
/// </summary>
public sealed class ReplyRuleSet(ReplyStore store, LiquidTemplates liquid, IConnectionMultiplexer redis, ILogger<ReplyRuleSet> logger) : BackgroundService
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(2);

    private static readonly RedisChannel Channel = RedisChannel.Literal(RedisKeys.ConfigChanged(ReplyStore.ConfigName));

    private volatile Snapshot _snapshot = new(-1, [], new Dictionary<ulong, (TemplateView, CompiledReply)>());

    public long Version => _snapshot.Version;

    /// <summary>The first rule that answers the push, in <see cref="AutoReplyRule.TrialOrder"/> (default rules last).</summary>
    public AutoReplyRule? Match(WechatPush push, string appId, DateTime now) =>
        _snapshot.Rules.FirstOrDefault(rule => rule.Matches(push, appId, now));

    public CompiledReply? Template(ulong id) => _snapshot.Templates.TryGetValue(id, out var t) ? t.Reply : null;

    /// <summary>Loads and compiles everything; a stored rule that no longer compiles is skipped and logged, never fatal.</summary>
    public async Task ReloadAsync(CancellationToken ct)
    {
        var (version, rules, templates) = await store.LoadAsync(ct);
        var compiledTemplates = new Dictionary<ulong, (TemplateView, CompiledReply)>();
        foreach (var template in templates)
        {
            try
            {
                compiledTemplates[template.Id] = (template, CompiledReply.Compile(template.Reply, liquid, knownFieldsOnly: false));
            }
            catch (ReplyValidationException e)
            {
                logger.LogError("Template {TemplateId} no longer compiles and is skipped: {Problem}", template.Id, e.Message);
            }
        }

        var compiledRules = new List<AutoReplyRule>();
        foreach (var rule in rules)
        {
            try
            {
                var reply = rule.TemplateId is { } templateId
                    ? compiledTemplates.TryGetValue(templateId, out var t) ? t.Item2 : throw new ReplyValidationException("templateId", $"template {templateId} is missing")
                    : rule.Reply is null ? null : CompiledReply.Compile(rule.Reply, liquid, knownFieldsOnly: false);
                compiledRules.Add(AutoReplyRule.Create(rule, reply));
            }
            catch (ReplyValidationException e)
            {
                logger.LogError("Auto-reply {RuleId} no longer compiles and is skipped: {Problem}", rule.Id, e.Message);
            }
        }

        compiledRules.Sort((a, b) => AutoReplyRule.TrialOrder(a.View, b.View));
        _snapshot = new Snapshot(version, compiledRules, compiledTemplates);
        logger.LogInformation("Loaded {Rules} auto-replies and {Templates} templates (version {Version})", compiledRules.Count, compiledTemplates.Count, version);
    }

    /// <summary>Tells the other instances to reload now (they would within <see cref="PollInterval"/> anyway).</summary>
    public async Task PublishChangeAsync()
    {
        try
        {
            await redis.GetSubscriber().PublishAsync(Channel, "changed").WaitAsync(RedisTimeouts.FailFast);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogWarning(e, "Could not announce the reply change; other instances reload within {Interval}", PollInterval);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await redis.GetSubscriber().SubscribeAsync(Channel, (_, _) => _ = ReloadQuietlyAsync(stoppingToken));
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogWarning(e, "No reply-change announcements from Redis; polling {Interval}", PollInterval);
        }

        using var timer = new PeriodicTimer(PollInterval);
        do
        {
            try
            {
                if (await store.VersionAsync(stoppingToken) != _snapshot.Version)
                {
                    await ReloadAsync(stoppingToken);
                }
            }
            catch (Exception e) when (e is MySqlConnector.MySqlException or TimeoutException or InvalidOperationException)
            {
                logger.LogWarning(e, "Could not check the reply configuration; keeping version {Version}", _snapshot.Version);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task ReloadQuietlyAsync(CancellationToken ct)
    {
        try
        {
            await ReloadAsync(ct);
        }
        catch (Exception e) when (e is MySqlConnector.MySqlException or TimeoutException or InvalidOperationException)
        {
            logger.LogWarning(e, "Reloading replies failed; the poll tries again");
        }
    }

    private sealed record Snapshot(long Version, IReadOnlyList<AutoReplyRule> Rules, IReadOnlyDictionary<ulong, (TemplateView View, CompiledReply Reply)> Templates);
}
