// Drives PixelMed's DIMSE SCU classes (David Clunie's toolkit, Debian's libpixelmed-java) for the black-box tests in
// tests/TciaPacs.Dimse.Interop.Tests, where its own command lines fall short: its FindSOPClassSCU main queries fixed
// keys, and its GetSOPClassSCU main proposes every storage class, more contexts than it allows itself.
//
//   java -cp /usr/share/java/pixelmed.jar PixelMedScu.java find HOST PORT CALLED CALLING study|patient KEY=VALUE...
//     prints each answer as lines "GGGGEEEE=value", an empty line after each
//   java -cp /usr/share/java/pixelmed.jar PixelMedScu.java get HOST PORT CALLED CALLING DIR SOPCLASS[,SOPCLASS...] KEY=VALUE...
//     Study Root C-GET, proposing those storage classes; prints "received FILE SYNTAX" for each instance
//
// KEY is a PixelMed attribute name (its dictionary: PatientName, StudyInstanceUID, QueryRetrieveLevel...).
import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeFactory;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomDictionary;
import com.pixelmed.dicom.SOPClass;
import com.pixelmed.dicom.StoredFilePathStrategy;
import com.pixelmed.network.FindSOPClassSCU;
import com.pixelmed.network.GetSOPClassSCU;
import com.pixelmed.network.IdentifierHandler;
import com.pixelmed.network.ReceivedObjectHandler;
import java.io.File;
import java.util.Arrays;
import java.util.HashSet;

public class PixelMedScu {
    public static void main(String[] args) throws Exception {
        String op = args[0], host = args[1], called = args[3], calling = args[4];
        int port = Integer.parseInt(args[2]);
        if (op.equals("find")) {
            String model = args[5].equals("patient") ? SOPClass.PatientRootQueryRetrieveInformationModelFind : SOPClass.StudyRootQueryRetrieveInformationModelFind;
            new FindSOPClassSCU(host, port, called, calling, model, identifier(args, 6), new IdentifierHandler() {
                @Override
                public void doSomethingWithIdentifier(AttributeList answer) {
                    for (Attribute a : answer.values()) {
                        AttributeTag t = a.getTag();
                        System.out.println(String.format("%04X%04X=%s", t.getGroup(), t.getElement(), a.getDelimitedStringValuesOrEmptyString()));
                    }
                    System.out.println();
                }
            });
        } else if (op.equals("get")) {
            File folder = new File(args[5]);
            new GetSOPClassSCU(host, port, called, calling, SOPClass.StudyRootQueryRetrieveInformationModelGet, identifier(args, 7), new IdentifierHandler(),
                folder, StoredFilePathStrategy.BYSOPINSTANCEUIDINSINGLEFOLDER, new ReceivedObjectHandler() {
                    @Override
                    public void sendReceivedObjectIndication(String file, String transferSyntax, String callingAE) {
                        System.out.println("received " + file + " " + transferSyntax);
                    }
                }, new HashSet<String>(Arrays.asList(args[6].split(","))), true, false, false);
        } else {
            throw new IllegalArgumentException("unknown operation " + op);
        }
    }

    private static AttributeList identifier(String[] args, int from) throws Exception {
        AttributeList list = new AttributeList();
        for (int i = from; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            String name = eq < 0 ? args[i] : args[i].substring(0, eq), value = eq < 0 ? "" : args[i].substring(eq + 1);
            AttributeTag tag = DicomDictionary.StandardDictionary.getTagFromName(name);
            if (tag == null) throw new IllegalArgumentException("no such attribute in PixelMed's dictionary: " + name);
            Attribute a = AttributeFactory.newAttribute(tag);
            if (!value.isEmpty()) a.addValue(value);
            list.put(tag, a);
        }
        return list;
    }
}
