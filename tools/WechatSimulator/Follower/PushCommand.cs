using System.Globalization;

namespace WechatSimulator.Follower;

/// <summary>
/// <c>push --gateway URL --appid X --token T [--aes-key K] [--mode plaintext|compatible|safe] --openid O
/// (--text "hi" | --event subscribe [--event-key qrscene_42])</c>: one follower action against a running gateway.
/// </summary>
internal static class PushCommand
{
    private const string Usage = """
        usage: WechatSimulator push --gateway URL --appid APPID --token TOKEN [--aes-key KEY]
                                    [--mode plaintext|compatible|safe] --openid OPENID
                                    (--text TEXT | --event EVENT [--event-key KEY]) [--msg-id N]
          --mode defaults to safe when --aes-key is given, else plaintext.
        """;

    private static readonly HashSet<string> Options =
        ["--gateway", "--appid", "--token", "--aes-key", "--mode", "--openid", "--text", "--event", "--event-key", "--msg-id"];

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var (options, problem) = Parse(args);
        if (options is null)
        {
            await stderr.WriteLineAsync(problem);
            await stderr.WriteLineAsync(Usage);
            return 2;
        }

        var aesKey = options.GetValueOrDefault("--aes-key");
        var mode = options.GetValueOrDefault("--mode") switch
        {
            null => aesKey is null ? SecurityMode.Plaintext : SecurityMode.Safe,
            var m when Enum.TryParse<SecurityMode>(m, ignoreCase: true, out var parsed) => parsed,
            _ => (SecurityMode?)null,
        };
        if (mode is null || (mode != SecurityMode.Plaintext && aesKey is null))
        {
            await stderr.WriteLineAsync(mode is null ? "--mode is plaintext, compatible or safe" : "--aes-key is required for encrypted modes");
            return 2;
        }

        var driver = new FollowerDriver(new FollowerAccount(options["--appid"], options["--token"], aesKey));
        var openId = options["--openid"];
        var plain = options.TryGetValue("--text", out var text)
            ? driver.BuildText(openId, text, MsgId(options))
            : driver.BuildEvent(openId, options["--event"], options.GetValueOrDefault("--event-key"));
        var push = driver.Sign(plain, openId, mode.Value);

        using var client = new HttpClient { BaseAddress = new Uri(options["--gateway"]), Timeout = TimeSpan.FromSeconds(30) };
        await stdout.WriteLineAsync($"POST {new Uri(client.BaseAddress, push.PathAndQuery)} ({mode.Value.ToString().ToLowerInvariant()} mode)");
        try
        {
            using var response = await driver.SendAsync(client, push);
            var body = await response.Content.ReadAsStringAsync();
            await stdout.WriteLineAsync($"HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
            if (response.IsSuccessStatusCode)
            {
                await stdout.WriteLineAsync(driver.DecryptReply(body) ?? $"(no reply: \"{body}\")");
                return 0;
            }

            await stdout.WriteLineAsync(body);
            return 1;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidDataException)
        {
            await stderr.WriteLineAsync($"push failed: {e.Message}");
            return 1;
        }
    }

    private static long MsgId(Dictionary<string, string> options) =>
        options.TryGetValue("--msg-id", out var id) && long.TryParse(id, CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000 + Random.Shared.Next(1000);

    private static (Dictionary<string, string>? Options, string Problem) Parse(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!Options.Contains(args[i]))
            {
                return (null, $"unknown argument {args[i]}");
            }

            if (i + 1 >= args.Length)
            {
                return (null, $"{args[i]} needs a value");
            }

            options[args[i]] = args[++i];
        }

        string[] required = ["--gateway", "--appid", "--token", "--openid"];
        var missing = required.Where(r => !options.ContainsKey(r)).ToList();
        if (options.ContainsKey("--text") == options.ContainsKey("--event"))
        {
            missing.Add("--text or --event (one of them)");
        }

        if (missing.Count > 0)
        {
            return (null, "missing " + string.Join(", ", missing));
        }

        return Uri.TryCreate(options["--gateway"], UriKind.Absolute, out _)
            ? (options, "")
            : (null, "--gateway must be an absolute URL, e.g. http://127.0.0.1:5080");
    }
}
