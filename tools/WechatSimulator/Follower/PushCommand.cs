using WechatGateway.Wechat.Security;

namespace WechatSimulator.Follower;

/// <summary>
/// <c>push ...</c>: one follower action against a running gateway, signed (and encrypted) as WeChat would send it.
/// Every refusal is one line on stderr and exit code 2; a push that reached the gateway exits 0 on 2xx, else 1.
/// </summary>
internal static class PushCommand
{
    private const string Usage = """
        usage: dotnet run --project tools/WechatSimulator -- push --gateway URL --appid APPID --token TOKEN
                 [--aes-key KEY] [--mode plaintext|compatible|safe] --openid OPENID
                 (--type TYPE | --text TEXT | --event EVENT) [options]

          --type      text, image, voice, video, shortvideo, location, link (messages);
                      subscribe, unsubscribe, scan, location-event, click, view, templatesendjobfinish, masssendjobfinish (events)
          --text T    a text message with Content T (same as --type text --content T)
          --event E   an event named E as WeChat spells it (subscribe, SCAN, CLICK, ...)
          --mode      safe when --aes-key is given, else plaintext; compatible sends the plain fields and Encrypt
          --aes-key   the account's 43-character EncodingAESKey (compatible and safe modes)

        options (each sets the WeChat field in brackets; every type has plausible defaults):
          --content TEXT          text [Content]
          --msg-id ID             messages [MsgId], templatesendjobfinish and masssendjobfinish [MsgID]; opaque text, fresh by default
          --scene S               subscribe through a QR code [EventKey qrscene_S, Ticket]; scan [EventKey S]
          --event-key KEY         click, view, any event [EventKey]
          --lat X --lng Y         location [Location_X, Location_Y], location-event [Latitude, Longitude]
          --precision P           location-event [Precision]
          --status S              templatesendjobfinish [Status], e.g. "failed:user block"
          --field NAME=VALUE      any field, repeatable
          --help                  this text

        examples:
          ... push --gateway http://127.0.0.1:5080 --appid wx123 --token T --openid o1 --type subscribe --scene store42
          ... push --gateway http://127.0.0.1:5080 --appid wx123 --token T --aes-key KEY --openid o1 --type location-event
        """;

    private static readonly HashSet<string> _valued =
    [
        "--gateway", "--appid", "--token", "--aes-key", "--mode", "--openid", "--type", "--text", "--event", "--content",
        "--msg-id", "--scene", "--event-key", "--lat", "--lng", "--precision", "--status", "--field",
    ];

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0 || args.Any(a => a is "--help" or "-h"))
        {
            await (args.Length == 0 ? stderr : stdout).WriteAsync(Usage);
            return args.Length == 0 ? 2 : 0;
        }

        string plain;
        SecurityMode mode;
        FollowerDriver driver;
        Dictionary<string, string> options;
        try
        {
            (options, var fields) = Parse(args);
            mode = ModeOf(options);
            driver = new FollowerDriver(new FollowerAccount(options["--appid"], options["--token"], KeyOf(options, mode)));
            plain = Build(driver, options, fields);
        }
        catch (UsageException e)
        {
            await stderr.WriteLineAsync($"push: {e.Message} (see push --help)");
            return 2;
        }

        var openId = options["--openid"];
        var push = driver.Sign(plain, openId, mode);
        using var client = new HttpClient { BaseAddress = new Uri(options["--gateway"]), Timeout = TimeSpan.FromSeconds(30) };
        await stdout.WriteLineAsync($"POST {new Uri(client.BaseAddress, push.PathAndQuery)} ({mode.ToString().ToLowerInvariant()} mode)");
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

    private static string Build(FollowerDriver driver, Dictionary<string, string> options, Dictionary<string, string> fields)
    {
        var openId = options["--openid"];
        if (options.TryGetValue("--event", out var eventName))
        {
            return driver.BuildEvent(openId, eventName, options.GetValueOrDefault("--event-key"));
        }

        var type = options.TryGetValue("--text", out var text) ? "text" : options["--type"];
        if (!FollowerDriver.PushKinds.Contains(type))
        {
            throw new UsageException($"--type {type} is not one of {string.Join(", ", FollowerDriver.PushKinds)}");
        }

        // The named options, in the fields of the chosen type; --field has the last word.
        var named = new Dictionary<string, string>(StringComparer.Ordinal);
        Set("Content", text ?? options.GetValueOrDefault("--content"));
        Set(type is "templatesendjobfinish" or "masssendjobfinish" ? "MsgID" : "MsgId", options.GetValueOrDefault("--msg-id"));
        Set("EventKey", options.GetValueOrDefault("--event-key"));
        Set("Status", options.GetValueOrDefault("--status"));
        Set("Precision", options.GetValueOrDefault("--precision"));
        Set(type == "location" ? "Location_X" : "Latitude", options.GetValueOrDefault("--lat"));
        Set(type == "location" ? "Location_Y" : "Longitude", options.GetValueOrDefault("--lng"));
        if (options.GetValueOrDefault("--scene") is { } scene)
        {
            // 扫描带参数二维码事件: an unfollowed user's subscribe carries "qrscene_" + scene, a follower's SCAN the scene.
            Set("EventKey", type == "subscribe" ? "qrscene_" + scene : scene);
            Set("Ticket", "sim_ticket_" + scene);
        }

        foreach (var (name, value) in fields)
        {
            named[name] = value;
        }

        return driver.BuildPush(openId, type, named);

        void Set(string name, string? value)
        {
            if (value is not null)
            {
                named[name] = value;
            }
        }
    }

    private static SecurityMode ModeOf(Dictionary<string, string> options) => options.GetValueOrDefault("--mode") switch
    {
        null => options.ContainsKey("--aes-key") ? SecurityMode.Safe : SecurityMode.Plaintext,
        var m when Enum.TryParse<SecurityMode>(m, ignoreCase: true, out var parsed) && !int.TryParse(m, out _) => parsed,
        var m => throw new UsageException($"--mode {m} is not plaintext, compatible or safe"),
    };

    private static string? KeyOf(Dictionary<string, string> options, SecurityMode mode)
    {
        var key = options.GetValueOrDefault("--aes-key");
        if (key is null)
        {
            return mode == SecurityMode.Plaintext ? null : throw new UsageException($"--aes-key is required in {mode.ToString().ToLowerInvariant()} mode");
        }

        // The library's own check, in its words (which never echo the key).
        try
        {
            _ = new WechatMessageCrypto(key, options["--appid"]);
            return key;
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--aes-key: {e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal)}");
        }
    }

    private static (Dictionary<string, string> Options, Dictionary<string, string> Fields) Parse(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!_valued.Contains(args[i]))
            {
                throw new UsageException($"unknown argument {args[i]}");
            }

            if (i + 1 >= args.Length)
            {
                throw new UsageException($"{args[i]} needs a value");
            }

            var (name, value) = (args[i], args[++i]);
            if (name == "--field")
            {
                var equals = value.IndexOf('=', StringComparison.Ordinal);
                if (equals < 1)
                {
                    throw new UsageException($"--field {value} is not NAME=VALUE");
                }

                fields[value[..equals]] = value[(equals + 1)..];
            }
            else
            {
                options[name] = value;
            }
        }

        string[] required = ["--gateway", "--appid", "--token", "--openid"];
        var missing = required.Where(r => !options.ContainsKey(r)).ToList();
        if (new[] { "--type", "--text", "--event" }.Count(options.ContainsKey) != 1)
        {
            missing.Add("one of --type, --text, --event");
        }

        if (missing.Count > 0)
        {
            throw new UsageException("missing " + string.Join(", ", missing));
        }

        return Uri.TryCreate(options["--gateway"], UriKind.Absolute, out var gateway) && gateway.Scheme is "http" or "https"
            ? (options, fields)
            : throw new UsageException("--gateway must be an absolute http(s) URL, e.g. http://127.0.0.1:5080");
    }

    private sealed class UsageException(string message) : Exception(message);
}
