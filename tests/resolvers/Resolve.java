// Resolve.java - asks Java's two resolvers what a pod's Java program would ask.
//
//   java Resolve inet   InetAddress, i.e. the C library's getaddrinfo and
//                       getnameinfo underneath, as most Java programs resolve
//   java Resolve jndi   JNDI's DNS provider (com.sun.jndi.dns), which talks
//                       to the server itself (dns://127.0.0.1/), UDP then TCP
//
// Reads "KIND<TAB>QUERY" lines and prints "KIND<TAB>QUERY<TAB>RESULT":
//   inet: host (getAllByName), ptr (getHostName of an address: one name),
//         order (getAllByName's addresses in the order it returns them:
//         the first is what getByName and a Socket to the name use)
//   jndi: host4 (A), host6 (AAAA), srv, ptr (every name); names are
//         absolute: JNDI has no search list
// Results are sorted and space-separated (SRV records joined by ", "),
// failures NOTFOUND, TEMPFAIL or ERROR(text) as resolve.c prints them.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.Security;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Hashtable;
import java.util.List;
import java.util.TreeSet;
import javax.naming.CommunicationException;
import javax.naming.Context;
import javax.naming.NameNotFoundException;
import javax.naming.NamingEnumeration;
import javax.naming.NamingException;
import javax.naming.ServiceUnavailableException;
import javax.naming.directory.Attribute;
import javax.naming.directory.Attributes;
import javax.naming.directory.DirContext;
import javax.naming.directory.InitialDirContext;

public class Resolve {
    /** An address as inet_ntop and Go print it: IPv6 with the longest zero run as "::" (RFC 5952). */
    static String text(InetAddress a) {
        if (!(a instanceof Inet6Address))
            return a.getHostAddress();
        byte[] b = a.getAddress();
        int[] g = new int[8];
        for (int i = 0; i < 8; i++)
            g[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        int bestStart = -1, bestLen = 1;
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && g[j] == 0)
                j++;
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j > i ? j : i + 1;
        }
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                s.append("::");
                i += bestLen - 1;
                continue;
            }
            if (s.length() > 0 && s.charAt(s.length() - 1) != ':')
                s.append(':');
            s.append(Integer.toHexString(g[i]));
        }
        return s.toString();
    }

    static String inet(String kind, String query) {
        try {
            if (kind.equals("host")) {
                TreeSet<String> out = new TreeSet<>();
                for (InetAddress a : InetAddress.getAllByName(query))
                    out.add(text(a));
                return String.join(" ", out);
            }
            if (kind.equals("order")) {
                List<String> out = new ArrayList<>();
                for (InetAddress a : InetAddress.getAllByName(query))
                    out.add(text(a));
                return String.join(" ", out);
            }
            if (kind.equals("ptr")) {
                // getHostName checks the name maps back to the address, and
                // gives the address itself when there is no (valid) name
                String name = InetAddress.getByName(query).getHostName();
                return name.equals(query) ? "NOTFOUND [no name]" : name + ".";
            }
            return "ERROR(unknown kind)";
        } catch (UnknownHostException e) {
            String m = String.valueOf(e.getMessage());
            return (m.contains("Temporary failure") ? "TEMPFAIL [" : "NOTFOUND [") + m + "]";
        }
    }

    static String jndi(DirContext ctx, String kind, String query) {
        String type;
        String name = query;
        switch (kind) {
        case "host4": type = "A"; break;
        case "host6": type = "AAAA"; break;
        case "srv": type = "SRV"; break;
        case "ptr":
            type = "PTR";
            try {
                name = reverseName(InetAddress.getByName(query));
            } catch (UnknownHostException e) {
                return "ERROR(not an address)";
            }
            break;
        default: return "ERROR(unknown kind)";
        }
        try {
            Attributes attrs = ctx.getAttributes(name, new String[] {type});
            Attribute attr = attrs.get(type);
            if (attr == null)
                return "NOTFOUND [NODATA: no " + type + " records]";
            List<String> out = new ArrayList<>();
            NamingEnumeration<?> values = attr.getAll();
            while (values.hasMore()) {
                String v = values.next().toString();
                if (type.equals("AAAA"))
                    v = text(InetAddress.getByName(v));
                out.add(v);
            }
            Collections.sort(out);
            return String.join(type.equals("SRV") ? ", " : " ", out);
        } catch (NameNotFoundException e) {
            return "NOTFOUND [NXDOMAIN: " + e.getMessage() + "]";
        } catch (CommunicationException | ServiceUnavailableException e) {
            return "TEMPFAIL [" + e + "]";
        } catch (NamingException | UnknownHostException e) {
            return "ERROR(" + e + ")";
        }
    }

    static String reverseName(InetAddress a) {
        byte[] b = a.getAddress();
        StringBuilder s = new StringBuilder();
        if (b.length == 4) {
            for (int i = 3; i >= 0; i--)
                s.append(b[i] & 0xff).append('.');
            return s.append("in-addr.arpa.").toString();
        }
        for (int i = 15; i >= 0; i--)
            s.append(Integer.toHexString(b[i] & 0xf)).append('.')
             .append(Integer.toHexString((b[i] >> 4) & 0xf)).append('.');
        return s.append("ip6.arpa.").toString();
    }

    public static void main(String[] args) throws Exception {
        // Every lookup asks the resolver: no answer from Java's own cache.
        Security.setProperty("networkaddress.cache.ttl", "0");
        Security.setProperty("networkaddress.cache.negative.ttl", "0");
        String mode = args.length > 0 ? args[0] : "";
        DirContext ctx = null;
        if (mode.equals("jndi")) {
            Hashtable<String, String> env = new Hashtable<>();
            env.put(Context.INITIAL_CONTEXT_FACTORY, "com.sun.jndi.dns.DnsContextFactory");
            env.put(Context.PROVIDER_URL, "dns://127.0.0.1/");
            env.put("com.sun.jndi.dns.timeout.initial", "2000");
            env.put("com.sun.jndi.dns.timeout.retries", "4");
            ctx = new InitialDirContext(env);
        } else if (!mode.equals("inet")) {
            System.err.println("usage: java Resolve inet|jndi");
            System.exit(2);
        }
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        String line;
        while ((line = in.readLine()) != null) {
            int tab = line.indexOf('\t');
            if (tab < 0)
                continue;
            String kind = line.substring(0, tab), query = line.substring(tab + 1);
            String result = ctx != null ? jndi(ctx, kind, query) : inet(kind, query);
            System.out.println(kind + "\t" + query + "\t" + result);
            System.out.flush();
        }
    }
}
