# Summaries of `flowpic eval --samples` files (one line per classified
# window: source, true label, window index, session, predicted class,
# confidence), for models/train.sh.
#
# A threshold t is T (every class) or CLASS=P,CLASS=P,... (per predicted
# class, as `flowpic model set MODEL thresholds=` records them; a class
# not named has none).
#
#   awk -f models/score.awk -v mode=sources [-v t=T] SAMPLES...
#       per source (ndpi, video-platforms, vca, ssh-browsing, whatsapp,
#       lab, lab-vpn): windows, accuracy, and with t the share below it
#   awk -f models/score.awk -v mode=unknown -v t=T SAMPLES...
#       per true class (and `other`): windows and the share below t
#   awk -f models/score.awk -v mode=confusion SAMPLES...
#       per class recall and F1, and the confusion matrix (rows: true)
#   awk -f models/score.awk -v mode=score [-v t=T] SAMPLES...
#       accuracy and macro-F1 over the classes present; with t, windows
#       below it count as wrong and their share is printed
BEGIN {
	FS = "\t"
	if (t ~ /=/) {
		nkv = split(t, kv, ",")
		for (ikv = 1; ikv <= nkv; ikv++) {
			split(kv[ikv], e, "=")
			thr[e[1]] = e[2] + 0
		}
	}
}

# below(c, p): a window predicted c with confidence p is under threshold t
function below(c, p) {
	if (t == "") return 0
	if (t ~ /=/) return (c in thr) && p < thr[c]
	return p < t + 0
}

function group(path) {
	if (path ~ /\/ndpi\//) return "ndpi"
	if (path ~ /video-platforms/) return "video-platforms"
	if (path ~ /\/vca\//) return "vca"
	if (path ~ /ssh-browsing/) return "ssh-browsing"
	if (path ~ /whatsapp/) return "whatsapp"
	if (path ~ /-vpn/) return "lab-vpn"
	if (path ~ /\/lab\//) return "lab"
	return "other"
}

{
	g = group($1)
	n++
	if (mode == "sources") {
		N[g]++
		ok[g] += $2 == $5
		if (t != "") u[g] += below($5, $6)
	} else if (mode == "unknown") {
		N[$2]++
		u[$2] += below($5, $6)
	} else if (mode == "confusion") {
		M[$2, $5]++
		T[$2]++
		P[$5]++
		cls[$2] = cls[$5] = 1
	} else if (mode == "score") {
		known = !below($5, $6)
		unk += !known
		present[$2] = 1
		tp[$2] += known && $2 == $5
		if (known && $2 != $5) { fp[$5]++; fn[$2]++ }
		if (!known) fn[$2]++
		right += known && $2 == $5
	}
}

END {
	if (mode == "sources") {
		for (g in N)
			if (t != "")
				printf "%-16s %6d windows  accuracy %6.2f%%  unknown %5.1f%%\n",
				       g, N[g], 100 * ok[g] / N[g], 100 * u[g] / N[g]
			else
				printf "%-16s %6d windows  accuracy %6.2f%%\n",
				       g, N[g], 100 * ok[g] / N[g]
	} else if (mode == "unknown") {
		for (c in N)
			printf "%-14s %6d windows  unknown %5.1f%%\n", c, N[c],
			       100 * u[c] / N[c]
	} else if (mode == "confusion") {
		k = 0
		for (c in cls)
			name[++k] = c
		for (i = 2; i <= k; i++)	# sorted, by insertion
			for (j = i; j > 1 && name[j - 1] > name[j]; j--) {
				x = name[j]; name[j] = name[j - 1]; name[j - 1] = x
			}
		printf "%-14s %9s %9s %8s\n", "class", "recall", "f1", "support"
		for (i = 1; i <= k; i++) {
			c = name[i]
			if (!T[c]) continue
			r = M[c, c] / T[c]
			p = P[c] ? M[c, c] / P[c] : 0
			printf "%-14s %9.4f %9.4f %8d\n", c, r,
			       p + r ? 2 * p * r / (p + r) : 0, T[c]
		}
		printf "\n%-14s", ""
		for (i = 1; i <= k; i++)
			printf " %9s", substr(name[i], 1, 9)
		printf "\n"
		for (i = 1; i <= k; i++) {
			if (!T[name[i]]) continue
			printf "%-14s", name[i]
			for (j = 1; j <= k; j++)
				printf " %9d", M[name[i], name[j]]
			printf "\n"
		}
	} else if (mode == "score") {
		if (!n) {
			print "accuracy -  macro-F1 -  (0 windows)"
			exit
		}
		for (c in present) {
			p = tp[c] + fp[c] ? tp[c] / (tp[c] + fp[c]) : 0
			r = tp[c] + fn[c] ? tp[c] / (tp[c] + fn[c]) : 0
			f += p + r ? 2 * p * r / (p + r) : 0
			k++
		}
		printf "accuracy %.2f%%  macro-F1 %.4f  (%d windows", 100 * right / n,
		       f / k, n
		if (t != "")
			printf ", %.1f%% below the threshold %s", 100 * unk / n, t
		printf ")\n"
	}
}
